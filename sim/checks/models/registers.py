"""Registers: ``register`` (read, write), ``cas-register`` (and cas), and ``store``, the
simulator's own key-value store (sim/protocols/api/kv.py: and delete, and append onto lists).

A register's state is its value in `canonical` form (JSON equality), initially null. A cas's
value is ``[expected, new]``: ``ok`` means it happened; ``ok`` whose completion returned
``false`` means it was observed not to happen because the register held something other than
``expected`` (it changed nothing); ``fail`` means it did not happen (dropped before checking).
"""

from __future__ import annotations

from collections.abc import Hashable
from typing import Any, ClassVar

from sim.checks.history import Operation
from sim.checks.models.base import (
    ANY,
    SAME,
    Differs,
    Model,
    RegisterForm,
    as_json,
    canonical,
    uncanonical,
)


class Register(Model):
    """A register per key: read returns the last value written (null before any)."""

    name = "register"
    functions: ClassVar[tuple[str, ...]] = ("read", "write")
    state_name = "register"

    def init(self) -> Hashable:
        return None

    def register_form(self, op: Operation) -> RegisterForm | None:
        # One method for the whole family (no chain of super() calls): it runs once per op.
        f = op.f
        if f == "write":
            return ANY, canonical(op.value)
        if f == "read":
            return canonical(op.output), SAME
        if f == "cas" and "cas" in self.functions:
            expected, new = op.value
            if op.output is False:
                return Differs(canonical(expected)), SAME
            return canonical(expected), canonical(new)
        if f == "delete" and "delete" in self.functions:
            return ANY, None
        return None

    def step(self, state: Any, op: Operation) -> tuple[bool, Hashable]:
        form = self.register_form(op)
        assert form is not None, f"{self.name} steps register operations only, not {op.f}"
        return _step_form(form, state)

    def describe(self, state: Any) -> Any:
        return uncanonical(state)

    def describe_op(self, op: Operation) -> str:
        if op.f == "read":
            return "read" if op.status == "info" else f"read -> {as_json(op.output)}"
        if op.f == "cas":
            expected, new = op.value
            what = f"cas {as_json(expected)} -> {as_json(new)}"
            return what + ": false" if op.output is False else what
        return f"{op.f} {as_json(op.value)}" if op.value is not None else op.f


class CasRegister(Register):
    """A register per key with compare-and-set: cas [expected, new] sets new if the register
    holds expected; returning false, it observed the register holding something else."""

    name = "cas-register"
    functions: ClassVar[tuple[str, ...]] = ("read", "write", "cas")


class Store(CasRegister):
    """The simulator's replicated store: a cas-register per key, and delete (the key holds null
    again) and append (onto a list: a key that holds null holds ``[value]`` after it; an append
    onto any other value fails, so an ``ok`` one there is illegal)."""

    name = "store"
    functions: ClassVar[tuple[str, ...]] = ("read", "write", "cas", "delete", "append")

    def unobservable(self, ops: list[Operation], infos: list[int]) -> set[int]:
        """Info appends whose value no read's list holds and no cas expects in its list: had one
        taken effect, its value would be in the list until a write, cas or delete replaced it,
        and nothing saw that list. (A cas that returned false sees every state but one: with
        one, nothing is left out.)"""
        appends = [j for j in infos if ops[j].f == "append"]
        if not appends:
            return set()
        seen: set[Hashable] = set()
        for op in ops:
            if op.f == "cas":
                if op.output is False:
                    return set()
                seen.update(_items(op.value[0]))
            elif op.f == "read" and op.status == "ok":
                seen.update(_items(op.output))
        return {j for j in appends if canonical(ops[j].value) not in seen}

    def step(self, state: Any, op: Operation) -> tuple[bool, Hashable]:
        if op.f != "append":
            return super().step(state, op)
        if state is None:
            return True, ("list", (canonical(op.value),))
        if isinstance(state, tuple) and state[0] == "list":
            return True, ("list", (*state[1], canonical(op.value)))
        return False, state


def _step_form(form: RegisterForm, state: Any) -> tuple[bool, Hashable]:
    need, result = form
    legal = need is ANY or (state != need.state if isinstance(need, Differs) else state == need)
    return legal, state if result is SAME else result


def _items(value: Any) -> list[Hashable]:
    """The canonical items of a list value (none for any other value)."""
    return [canonical(item) for item in value] if isinstance(value, list | tuple) else []
