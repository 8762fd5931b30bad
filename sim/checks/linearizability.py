"""Linearizability of a client history against a data model (sim/checks/models/).

The model's partition function splits the history into independent objects (by default one per
key), each checked on its own (P-compositionality, as Porcupine does). Per partition this is
Wing & Gong's search with Lowe's memoisation, the "just-in-time" linearization of Lowe, "Testing
for linearizability" (2017), as in Porcupine and Knossos: the call and return events sit in a
doubly linked list in time order; the search linearizes a call that precedes every remaining
return (lifting it and its return out of the list), backtracks when it meets the return of an
operation it has not linearized, and never revisits a (set of linearized operations, model
state) pair it has seen. States are interned as small ints, and a step the model computed once
on a state is remembered.

``info`` operations have no return event: they may take effect any time after their invocation,
or never. The search succeeds once every ``ok`` operation is linearized; the ``info`` ones it has
not placed by then did not take effect.

Prunings, and what each needs of the model (docs/checker.md has the table):

- per-partition search: the partition function (every model has one; the default is the key);
- the memo of (linearized set, state): hashable states whose equality is the model's;
- an ``info`` operation that leaves the state unchanged (its register form's result is SAME: an
  info read) is left out: it returned nothing, so it constrains nothing;
- where every operation of a partition has a register form, info operations whose result no
  read or cas observes are left out (they cannot change the verdict), and the search never
  overwrites a state that an unlinearized operation still needs when no unlinearized one can
  make it again: without this, a key with many concurrent writers makes the search try most
  orders of those writes before the read that rules them out returns (10k operations of 20
  clients on one key took 90 s without it, 0.07 s with it).

With a time limit, a partition whose search has not ended by then is ``unknown``; the verdict is
``unknown`` when no partition failed and some are unknown. Partitions may be checked in worker
processes (``workers``): the verdict and the report are those of the serial check.
"""

from __future__ import annotations

import gc
import math
import multiprocessing
import time
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from sim.checks.history import (
    HistoryError,
    Operation,
    Problem,
    operations_from_records,
    read_history,
)
from sim.checks.models import DEFAULT, BadModel, get_model
from sim.checks.models.base import ANY, SAME, Differs, Model, as_json

_ANY = -1  # an op's needed state: any (a write)
_SAME = -1  # an op's new state: unchanged (a read)
_STEP = -2  # an op's new state: ask the model (no register form)
_UNSEEN = -3  # a step not yet computed
_TAIL_SHOWN = 8  # operations of the longest prefix that a failure's explanation shows
_CLOCK_EVERY = 1024  # backtracks between looks at the clock
_GRACE = 64  # backtracks before the first look: what a key whose turn comes late still gets

Verdict = Literal["linearizable", "not linearizable", "unknown"]


@dataclass(frozen=True, slots=True)
class KeyFailure:
    """Where the search for one partition got stuck: the longest prefix it could linearize, and
    the operations of which none could come next.

    ``prefix`` is that whole prefix in order (`prefix_states` gives the model's state after each
    of its operations); ``register`` is the state after it, as the model describes it (a JSON
    value), also under the name ``state``. ``reasons`` says, per stuck op, why it cannot come
    next.
    """

    key: Any
    operations: int  # operations of this partition that the search considered
    linearized: int  # length of the longest linearizable prefix reached
    prefix_tail: tuple[Operation, ...]  # the last operations of that prefix, in order
    register: Any  # the model's state after that prefix, described
    stuck: tuple[Operation, ...]  # the operations that could not be linearized next
    # Operations still to come that need the state when nothing left can make it again (so none
    # of the stuck ops may change it); empty when it can be made again.
    needing: tuple[Operation, ...] = ()
    prefix: tuple[Operation, ...] = ()
    reasons: tuple[str, ...] = ()
    state_name: str = "register"
    described: tuple[str, ...] = ()  # prefix_tail, stuck, needing as the model shows them

    @property
    def state(self) -> Any:
        return self.register

    def explain(self) -> str:
        """Say, for a person, why this partition's history is not linearizable."""
        shown = iter(self.described)
        lines = [
            f"key {self.key!r}: {self.operations} operations; the longest linearizable prefix "
            f"has {self.linearized}, ending with:"
        ]
        lines += [f"    {next(shown)}" for _ in self.prefix_tail] or ["    (nothing)"]
        lines.append(f"  {self.state_name} after it: {as_json(self.register)}")
        lines.append("  none of these can come next:")
        lines += [f"    {next(shown)}  -- {reason}" for reason in self.reasons]
        if self.needing:
            lines.append(
                f"  {as_json(self.register)} is still needed by these, and nothing left writes it:"
            )
            needing = [next(shown) for _ in self.needing]
            lines += [f"    {text}" for text in needing[:_TAIL_SHOWN]]
            if len(self.needing) > _TAIL_SHOWN:
                lines.append(f"    and {len(self.needing) - _TAIL_SHOWN} more")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class KeyUnknown:
    """A partition whose search the time limit stopped: how far it got."""

    key: Any
    operations: int
    linearized: int  # the longest linearizable prefix found by then
    explored: int  # configurations (linearized set, state) the search had visited

    def explain(self) -> str:
        return (
            f"key {self.key!r}: {self.operations} operations; out of time after exploring "
            f"{self.explored} configurations, the longest linearizable prefix found has "
            f"{self.linearized}"
        )


@dataclass(frozen=True, slots=True)
class LinearizabilityResult:
    """The verdict on a history: ``ok``, or the partitions whose histories are not
    linearizable (``failures``) or that the time limit left undecided (``unknown``)."""

    ok: bool
    operations: int
    keys: int
    failures: tuple[KeyFailure, ...] = ()
    unknown: tuple[KeyUnknown, ...] = ()
    model: str = DEFAULT

    @property
    def verdict(self) -> Verdict:
        if self.failures:
            return "not linearizable"
        return "unknown" if self.unknown else "linearizable"

    def explain(self) -> str:
        """Say, for a person, what was checked and what failed."""
        head = f"{self.operations} operations on {self.keys} keys"
        if self.ok:
            return f"linearizable: {head}"
        if self.failures:
            parts = [f"not linearizable: {len(self.failures)} of {self.keys} keys failed ({head})"]
            parts += [failure.explain() for failure in self.failures]
        else:
            parts = [f"unknown: {len(self.unknown)} of {self.keys} keys undecided in time ({head})"]
        if self.unknown:
            parts.append("\n".join(unknown.explain() for unknown in self.unknown))
        return "\n\n".join(parts)


def check_history_file(
    path: str | Path,
    model: Model | str = DEFAULT,
    timeout: float | None = None,
    workers: int = 1,
) -> LinearizabilityResult:
    """Check a ``history.jsonl`` file; raises `HistoryError` when the file is malformed or its
    operations are not the model's, `BadModel` when the model cannot be used."""
    model = get_model(model) if isinstance(model, str) else model
    ops = read_history(path, functions=model.functions)
    problems = model_problems(ops, model, str(path))
    if problems:
        raise HistoryError(problems)
    return check_operations(ops, model, timeout=timeout, workers=workers)


def check_records(
    records: Iterable[Mapping[str, Any]], model: Model | str = DEFAULT
) -> LinearizabilityResult:
    """Check history records held in memory (the simulator's own history)."""
    model = get_model(model) if isinstance(model, str) else model
    return check_operations(operations_from_records(records, functions=model.functions), model)


def model_problems(ops: Iterable[Operation], model: Model, source: str) -> list[Problem]:
    """What is wrong with operations for ``model`` (``FILE:LINE``, the invoke's line)."""
    problems = []
    try:
        for op in ops:
            message = model.problem(op)
            if message is not None:
                problems.append(Problem(source, op.index + 1, message))
    except Exception as error:
        raise _model_raised(model, error) from None
    return problems


def check_operations(
    ops: Iterable[Operation],
    model: Model | str = DEFAULT,
    timeout: float | None = None,
    workers: int = 1,
) -> LinearizabilityResult:
    """Check operations (``ok`` and ``info``; failed ones dropped beforehand) partition by
    partition, within ``timeout`` seconds if given, in ``workers`` processes."""
    model = get_model(model) if isinstance(model, str) else model
    deadline = None if timeout is None else time.monotonic() + timeout
    # The search makes millions of small tuples and no cycles: the collector would only walk
    # every operation of the history again and again (a fifth of the time, at 100k operations).
    collecting = gc.isenabled()
    gc.disable()
    try:
        parts = _partitions(ops, model)
        outcomes = _check_all(parts, model, deadline, workers)
    finally:
        if collecting:
            gc.enable()
    failures = tuple(o for o in outcomes if isinstance(o, KeyFailure))
    unknown = tuple(o for o in outcomes if isinstance(o, KeyUnknown))
    return LinearizabilityResult(
        ok=not failures and not unknown,
        operations=sum(len(part.ops) for part in parts),
        keys=len(parts),
        failures=failures,
        unknown=unknown,
        model=model.name,
    )


def prefix_states(failure: KeyFailure, model: Model | str) -> list[Any]:
    """The model's state (described) after each operation of ``failure.prefix``."""
    model = get_model(model) if isinstance(model, str) else model
    state, states = model.init(), []
    for op in failure.prefix:
        legal, state = model.step(state, op)
        assert legal, f"the prefix found is legal: {op}"
        states.append(model.describe(state))
    return states


@dataclass(slots=True)
class _Partition:
    key: Hashable
    ops: list[Operation]
    infos: list[int]  # positions of the info ops


def _partitions(ops: Iterable[Operation], model: Model) -> list[_Partition]:
    """The operations per partition, in first-seen order (reports stay deterministic); info
    ops that leave the state unchanged are left out."""
    parts: dict[Hashable, _Partition] = {}
    by_key = getattr(model.partition, "__func__", None) is Model.partition
    register_form = model.register_form
    try:
        for op in ops:
            if op.status == "info":
                form = register_form(op)
                if form is not None and form[1] is SAME:
                    continue
            key = op.key if by_key else model.partition(op)
            part = parts.get(key)
            if part is None:
                part = parts[key] = _Partition(key, [], [])
            if op.status == "info":
                part.infos.append(len(part.ops))
            part.ops.append(op)
    except Exception as error:
        raise _model_raised(model, error) from None
    return list(parts.values())


def _model_raised(model: Model, error: Exception) -> BadModel:
    frame = error.__traceback__
    while frame is not None and frame.tb_next is not None:
        frame = frame.tb_next
    where = f" ({Path(frame.tb_frame.f_code.co_filename).name}:{frame.tb_lineno})" if frame else ""
    text = str(error).splitlines()[0] if str(error) else ""
    if isinstance(error, TypeError) and text.startswith("unhashable"):
        where = " (its states must be hashable: tuples or frozensets, not lists or sets)"
    return BadModel(f"model {model.name!r} raised {type(error).__name__}: {text}{where}")


def _check_all(
    parts: list[_Partition], model: Model, deadline: float | None, workers: int
) -> list[KeyFailure | KeyUnknown | None]:
    if workers <= 1 or len(parts) <= 1:
        return [_check_partition(part, model, deadline) for part in parts]
    # Forked workers inherit the partitions: nothing but an index and an outcome is pickled.
    global _FORKED
    methods = multiprocessing.get_all_start_methods()
    context = multiprocessing.get_context("fork" if "fork" in methods else "spawn")
    largest_first = sorted(range(len(parts)), key=lambda i: -len(parts[i].ops))
    outcomes: list[KeyFailure | KeyUnknown | None] = [None] * len(parts)
    if context.get_start_method() == "fork":
        _FORKED = (parts, model, deadline)
        tasks: list[Any] = largest_first
    else:
        tasks = [(i, parts[i], model, deadline) for i in largest_first]
    try:
        with context.Pool(min(workers, len(parts))) as pool:
            chunk = max(1, len(parts) // (workers * 8))
            for i, outcome in pool.imap_unordered(_check_task, tasks, chunksize=chunk):
                outcomes[i] = outcome
    finally:
        _FORKED = None
    return outcomes


_FORKED: tuple[list[_Partition], Model, float | None] | None = None


def _check_task(task: Any) -> tuple[int, KeyFailure | KeyUnknown | None]:
    if isinstance(task, int):
        assert _FORKED is not None, "a forked worker inherits the partitions"
        parts, model, deadline = _FORKED
        return task, _check_partition(parts[task], model, deadline)
    i, part, model, deadline = task
    return i, _check_partition(part, model, deadline)


def _check_partition(
    part: _Partition, model: Model, deadline: float | None
) -> KeyFailure | KeyUnknown | None:
    ops = part.ops
    try:  # register forms are made per partition: held for all at once, they would cost more
        forms = [model.register_form(op) for op in ops]
        dropped = model.unobservable(ops, part.infos) if part.infos else set()
    except Exception as error:
        raise _model_raised(model, error) from None
    register_forms = None not in forms
    if register_forms and part.infos:
        dropped |= _unobservable(forms, part.infos)
    if dropped:
        ops = [op for j, op in enumerate(ops) if j not in dropped]
        forms = [form for j, form in enumerate(forms) if j not in dropped]
    try:
        search = _Search(ops, forms, model, prune=register_forms)
        found = search.run(deadline)
        failure = None if found is not False else search.failure(part.key)
    except Exception as error:
        raise _model_raised(model, error) from None
    if found:
        return None
    if found is None:
        return KeyUnknown(part.key, len(ops), search.deepest, len(search.seen))
    return failure


def _unobservable(forms: list[Any], infos: list[int]) -> set[int]:
    """The info ops (of positions ``infos``) whose result no op observes.

    Such an op, if it took effect, could only have been followed by an op that needs any state
    (nothing else is legal on a state nobody observes), so the history is linearizable with it
    iff without it. Dropping it spares the search an optional op that stays a candidate to the
    end. A "differs from x" need observes every state but x.
    """
    observed = set()
    differs = set()
    for need, _ in forms:
        if isinstance(need, Differs):
            differs.add(need.state)
        elif need is not ANY:
            observed.add(need)
    if len(differs) > 1:
        return set()
    return {
        j for j in infos if forms[j][1] not in observed and (not differs or forms[j][1] in differs)
    }


class _Search:
    """The JIT linearization search over one partition's operations.

    The set of linearized ``ok`` ops is kept as a window: ``low``, the smallest ok id (ids in
    invoke order) not yet linearized, and ``window``, a bitset of the linearized ok ids above it
    (bit 0 is ``low``). Every linearized op was invoked before op ``low`` returned, so the window
    spans only the ops concurrent with it and cache keys stay small however long the history.
    Linearized ``info`` ops are a plain bitset over info ids: an info op stays a candidate to
    the end, so it cannot be folded into a window.

    Per op, ``need`` is the state id it needs (``_ANY``; ``-2 - id``: any state but that one) and
    ``new`` the state id it leaves (``_SAME``, or ``_STEP``: ask the model, remembering the
    answer per (state, op)).
    """

    def __init__(self, ops: list[Operation], forms: list[Any], model: Model, prune: bool) -> None:
        self.ops = ops
        self.model = model
        self.prune = prune
        self.state_ids: dict[Hashable, int] = {model.init(): 0}
        self.states: list[Any] = list(self.state_ids)
        # Runs once per op of histories of millions: names bound locally, states interned inline.
        ids, states = self.state_ids, self.states
        self.need = need_ids = [_ANY] * len(forms)
        self.new = new_ids = [_STEP] * len(forms)
        for j, form in enumerate(forms):
            if form is None:
                continue
            need, result = form
            if need is not ANY:
                if isinstance(need, Differs):
                    found = ids.setdefault(need.state, len(states))
                    need_ids[j] = -2 - found
                    state = need.state
                else:
                    found = need_ids[j] = ids.setdefault(need, len(states))
                    state = need
                if found == len(states):
                    states.append(state)
            if result is SAME:
                new_ids[j] = _SAME
            else:
                found = new_ids[j] = ids.setdefault(result, len(states))
                if found == len(states):
                    states.append(result)
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
        # Per state (register forms): how many ok ops need the state to be it, and how many ops
        # could make it; the search keeps both counts for unlinearized ops.
        self.needs = [0] * len(self.states)
        self.makes = self.needs.copy()
        for j, op in enumerate(ops):
            if op.status == "ok" and self.need[j] >= 0:
                self.needs[self.need[j]] += 1
            if self.new[j] >= 0:
                self.makes[self.new[j]] += 1
        self.memo: dict[int, int] = {}  # state id * ops + op -> the state id after (-1: illegal)
        self.seen: set[tuple[int, int, int, int]] = set()
        self.deepest = 0  # the longest prefix linearized
        self.deepest_config = (0, 0, 0, 0)  # then: (low, window, info, state)
        self.path: list[int] = []  # then: the entries of its calls, in order

    def _id(self, state: Hashable) -> int:
        found = self.state_ids.get(state)
        if found is None:
            found = self.state_ids[state] = len(self.states)
            self.states.append(state)
        return found

    def _step(self, state: int, j: int) -> int:
        legal, after = self.model.step(self.states[state], self.ops[j])
        result = self._id(after) if legal else -1
        self.memo[state * len(self.ops) + j] = result
        return result

    def run(self, deadline: float | None = None) -> bool | None:
        """Search; True when every ok op can be linearized, None when out of time."""
        n_ok = self.n_ok
        if n_ok == 0:
            return True
        op_of, match = self.op_of, self.match
        need, new, ok_id, info_bit = self.need, self.new, self.ok_id, self.info_bit
        needs, makes, prune = self.needs.copy(), self.makes.copy(), self.prune
        memo, n_ops, step = self.memo, len(self.ops), self._step
        nxt = [*range(1, self.events + 2), self.events + 1]
        prv = [0, *range(self.events + 1)]
        seen = self.seen
        stack: list[tuple[int, int, int, int, int]] = []  # (entry, state, low, window, info)
        path = self.path
        agree = 0  # stack[:agree] are the calls of path[:agree]
        state = low = window = info = 0
        deepest = backtracks = 0
        entry = nxt[0]
        while True:
            ret = match[entry]
            if ret >= 0:  # a call: try to linearize its op here
                j = op_of[entry]
                wanted = need[j]
                after = new[j]
                if after < 0:
                    if after == _SAME:
                        after = state
                    else:
                        after = memo.get(state * n_ops + j, _UNSEEN)
                        if after == _UNSEEN:
                            after = step(state, j)
                k = ok_id[j]
                # Changing a state that an unlinearized op (other than this one) still needs
                # and that no unlinearized op can make again is a dead end: prune it here.
                if (
                    after >= 0
                    and (wanted in (state, _ANY) or (wanted < _ANY and wanted != -2 - state))
                    and (
                        not prune
                        or after == state
                        or makes[state]
                        or needs[state] == (k >= 0 and wanted == state)
                    )
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
                        stack.append((entry, state, low, window, info))
                        state, low, window, info = after, new_low, new_window, new_info
                        if k >= 0 and wanted >= 0:
                            needs[wanted] -= 1
                        if new[j] >= 0:
                            makes[new[j]] -= 1
                        before, behind = prv[entry], nxt[entry]
                        nxt[before], prv[behind] = behind, before
                        if ret:
                            before, behind = prv[ret], nxt[ret]
                            nxt[before], prv[behind] = behind, before
                        if low == n_ok:
                            return True
                        if len(stack) > deepest:
                            deepest = self.deepest = len(stack)
                            path[agree:] = [item[0] for item in stack[agree:]]
                            agree = deepest
                            self.deepest_config = (low, window, info, state)
                        entry = nxt[0]
                        continue
                entry = nxt[entry]
            else:  # the return of an op not linearized: undo the last linearization
                if not stack:
                    return False
                # The clock at the _GRACE-th backtrack and every _CLOCK_EVERY after it: past
                # the limit, a search that needs few backtracks still ends, any other stops.
                backtracks += 1
                if (
                    deadline is not None
                    and backtracks % _CLOCK_EVERY == _GRACE
                    and time.monotonic() > deadline
                ):
                    return None
                entry, state, low, window, info = stack.pop()
                if len(stack) < agree:
                    agree = len(stack)
                j = op_of[entry]
                if ok_id[j] >= 0 and need[j] >= 0:
                    needs[need[j]] += 1
                if new[j] >= 0:
                    makes[new[j]] += 1
                ret = match[entry]
                if ret:
                    nxt[prv[ret]] = ret
                    prv[nxt[ret]] = ret
                nxt[prv[entry]] = entry
                prv[nxt[entry]] = entry
                entry = nxt[entry]

    def failure(self, key: Any) -> KeyFailure:
        """Describe the deepest configuration the search reached (after `run` returned False)."""
        low, window, info, state = self.deepest_config
        ops, model = self.ops, self.model

        def linearized(j: int) -> bool:
            k = self.ok_id[j]
            if k < 0:
                return bool(info & self.info_bit[j])
            return k < low or bool(window >> (k - low) & 1)

        # The candidates: unlinearized ops called before the first unlinearized return.
        stuck: list[int] = []
        for entry in range(1, self.events + 1):
            j = self.op_of[entry]
            if linearized(j):
                continue
            if self.match[entry] < 0:
                break
            stuck.append(j)
        needing: list[int] = []
        if self.prune:
            left = [j for j in range(len(ops)) if not linearized(j)]
            if not any(self.new[j] == state for j in left):
                needing = [j for j in left if self.ok_id[j] >= 0 and self.need[j] == state]
        prefix = [ops[self.op_of[entry]] for entry in self.path[: self.deepest]]
        tail = prefix[-_TAIL_SHOWN:]
        shown = [*tail, *(ops[j] for j in stuck), *(ops[j] for j in needing)]
        return KeyFailure(
            key=key,
            operations=len(ops),
            linearized=self.deepest,
            prefix_tail=tuple(tail),
            register=model.describe(self.states[state]),
            stuck=tuple(ops[j] for j in stuck),
            needing=tuple(ops[j] for j in needing),
            prefix=tuple(prefix),
            reasons=tuple(self._why_not(j, state, bool(needing)) for j in stuck),
            state_name=model.state_name,
            described=tuple(_describe(model, op) for op in shown),
        )

    def _why_not(self, j: int, state: int, needed: bool) -> str:
        """Why op j cannot come next: it is illegal, it would change a needed state, or it
        leads nowhere."""
        wanted, op, name = self.need[j], self.ops[j], self.model.state_name
        if self.new[j] == _STEP:
            if self._step(state, j) < 0:
                return f"not legal on this {name}"
        elif wanted >= 0 and wanted != state:
            if self.new[j] == _SAME:
                return f"the {name} holds another value"
            return f"{op.f} expects another value"
        elif wanted < _ANY and wanted == -2 - state:
            return f"{op.f} returned false, but the {name} holds its expected value"
        after = self.new[j]
        if after < 0:
            after = state if after == _SAME else self._step(state, j)
        if needed and after != state:
            held = as_json(self.model.describe(self.states[state]))
            return f"would overwrite {held}, which is still needed"
        return "legal here, but no order of what follows works"


def _describe(model: Model, op: Operation) -> str:
    end = "?" if math.isinf(op.complete_time) else f"{op.complete_time:g}"
    return (
        f"p{op.process} {model.describe_op(op)}  {op.status} [{op.invoke_time:g}, {end}]  "
        f"(line {op.index + 1})"
    )
