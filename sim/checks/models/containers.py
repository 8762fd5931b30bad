"""Containers, one per key: ``kv`` (Porcupine's: get, put, append onto strings), ``list-append``
(Jepsen's: append, and reads that return the whole list), ``set`` (add, read) and ``queue``
(FIFO: enqueue, dequeue)."""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from typing import Any, ClassVar

from sim.checks.history import Operation
from sim.checks.models.base import ANY, SAME, Model, RegisterForm, as_json, canonical, uncanonical

_EMPTY_LIST = ("list", ())


def _unreturned(
    ops: list[Operation], infos: list[int], adds: str, seen: Callable[[Operation], Iterable[Any]]
) -> set[int]:
    """Info ``adds`` ops whose value no ok op saw (``seen``: the values an op saw, canonical).

    Had such an op taken effect, every later op that sees the object would have seen its value:
    so none did, and leaving it out changes no op's legality."""
    saw = {value for op in ops if op.status == "ok" for value in seen(op)}
    return {j for j in infos if ops[j].f == adds and canonical(ops[j].value) not in saw}


class KeyValue(Model):
    """Porcupine's kv model: a string per key, initially ""; get returns it, put replaces it,
    append concatenates onto it."""

    name = "kv"
    functions: ClassVar[tuple[str, ...]] = ("get", "put", "append")
    state_name = "value"

    def init(self) -> Hashable:
        return ""

    def problem(self, op: Operation) -> str | None:
        if op.f != "get" and not isinstance(op.value, str):
            return f"{op.f} value {as_json(op.value)} is not a string (kv values are strings)"
        if op.f == "get" and op.status == "ok" and not isinstance(op.output, str):
            return f"get returned {as_json(op.output)}, not a string (kv values are strings)"
        return None

    def register_form(self, op: Operation) -> RegisterForm | None:
        if op.f == "get":
            return op.output, SAME
        if op.f == "put":
            return ANY, op.value
        return None

    def unobservable(self, ops: list[Operation], infos: list[int]) -> set[int]:
        # An append's value shows in every get until a put replaces the string.
        gets = [op.output for op in ops if op.f == "get" and op.status == "ok"]
        return {
            j
            for j in infos
            if ops[j].f == "append" and not any(ops[j].value in get for get in gets)
        }

    def step(self, state: Any, op: Operation) -> tuple[bool, Hashable]:
        if op.f == "append":
            return True, state + op.value
        if op.f == "put":
            return True, op.value
        return op.status != "ok" or op.output == state, state


class ListAppend(Model):
    """Jepsen's list-append: a list per key, initially empty; append adds a value at its end, a
    read returns the whole list (null for a key never appended to)."""

    name = "list-append"
    functions: ClassVar[tuple[str, ...]] = ("append", "read")
    state_name = "list"

    def init(self) -> Hashable:
        return _EMPTY_LIST

    def problem(self, op: Operation) -> str | None:
        if op.f == "read" and op.status == "ok" and not isinstance(op.output, list | None):
            return f"read returned {as_json(op.output)}, not a list (a read returns the list)"
        return None

    def register_form(self, op: Operation) -> RegisterForm | None:
        if op.f == "read":
            return (_EMPTY_LIST if op.output is None else canonical(op.output)), SAME
        return None

    def unobservable(self, ops: list[Operation], infos: list[int]) -> set[int]:
        return _unreturned(
            ops, infos, "append", lambda op: _items(op.output) if op.f == "read" else ()
        )

    def step(self, state: Any, op: Operation) -> tuple[bool, Hashable]:
        if op.f == "append":
            return True, ("list", (*state[1], canonical(op.value)))
        form = self.register_form(op)
        assert form is not None
        return op.status != "ok" or form[0] == state, state

    def describe(self, state: Any) -> Any:
        return uncanonical(state)


class Set(Model):
    """A set per key, initially empty: add puts a value in, a read returns every value in it (a
    list, in any order)."""

    name = "set"
    functions: ClassVar[tuple[str, ...]] = ("add", "read")
    state_name = "set"

    def init(self) -> Hashable:
        return frozenset()

    def problem(self, op: Operation) -> str | None:
        if op.f == "read" and op.status == "ok" and not isinstance(op.output, list):
            return f"read returned {as_json(op.output)}, not a list (a read returns the set)"
        return None

    def register_form(self, op: Operation) -> RegisterForm | None:
        if op.f == "read":
            return frozenset(canonical(item) for item in op.output or ()), SAME
        return None

    def unobservable(self, ops: list[Operation], infos: list[int]) -> set[int]:
        return _unreturned(
            ops, infos, "add", lambda op: _items(op.output) if op.f == "read" else ()
        )

    def step(self, state: Any, op: Operation) -> tuple[bool, Hashable]:
        if op.f == "add":
            return True, state | {canonical(op.value)}
        form = self.register_form(op)
        assert form is not None
        return op.status != "ok" or form[0] == state, state

    def describe(self, state: Any) -> Any:
        return sorted((uncanonical(item) for item in state), key=as_json)


class Queue(Model):
    """A FIFO queue per key, initially empty: enqueue adds a value at the back, dequeue takes
    the front one and returns it (null: it found the queue empty)."""

    name = "queue"
    functions: ClassVar[tuple[str, ...]] = ("enqueue", "dequeue")
    state_name = "queue"

    def init(self) -> Hashable:
        return ()

    def problem(self, op: Operation) -> str | None:
        if op.f == "enqueue" and op.value is None:
            return "enqueue of null (null is what a dequeue of an empty queue returns)"
        return None

    def unobservable(self, ops: list[Operation], infos: list[int]) -> set[int]:
        # Had it taken effect, nothing enqueued after it could be dequeued, nor the queue be
        # found empty: dequeues saw only what was ahead of it.
        return _unreturned(
            ops, infos, "enqueue", lambda op: (canonical(op.output),) if op.f == "dequeue" else ()
        )

    def step(self, state: Any, op: Operation) -> tuple[bool, Hashable]:
        if op.f == "enqueue":
            return True, (*state, canonical(op.value))
        if op.status != "ok":  # it may have taken the front value, whatever it was
            return bool(state), state[1:]
        if op.output is None:
            return not state, state
        return bool(state) and state[0] == canonical(op.output), state[1:]

    def describe(self, state: Any) -> Any:
        return [uncanonical(item) for item in state]


def _items(output: Any) -> Iterable[Any]:
    """The canonical values in what a read returned (a list, or null)."""
    return (canonical(item) for item in output or ())
