"""What a data model is to the linearizability checker (docs/checker.md says it for users).

A model is the sequential specification of an object: its initial state, and a step that says
whether an operation is legal on a state and which state it leaves. States must be hashable, and
two states must compare equal exactly when the model cannot tell them apart: the search
remembers the states it has seen and never explores one twice. The partition function names the
independent object an operation acts on (by default its key); the search checks each
partition's history on its own (P-compositionality).

A model may also give an operation's *register form*: the state it needs (any, one state, or any
state but one) and the state it leaves (unchanged, or one state), both independent of the state
it meets. That is what a read, a write or a cas is to a register. Where every operation of a
partition has one, the search uses two prunings that need it (see linearizability.py); an
operation with a register form is also stepped without a call to `step`.

For an ``info`` operation (it may or may not have taken effect) ``step`` is asked whether it can
take effect without knowing what it returned: ``op.output`` is None.
"""

from __future__ import annotations

import json
import math
from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from sim.checks.history import Operation


class _Marker:
    __slots__ = ("name",)

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return self.name


ANY = _Marker("ANY")  # a register form's need: any state (a write)
SAME = _Marker("SAME")  # a register form's result: the state it met (a read)


@dataclass(frozen=True, slots=True)
class Differs:
    """A register form's need: any state but this one (a cas that returned false)."""

    state: Hashable


RegisterForm = tuple[Any, Any]  # (ANY | state | Differs(state), SAME | state)


class Model:
    """Base class of models; a user model may subclass it or just provide the same methods.

    ``functions`` are the operation names (``f``) the model knows; a history naming another is
    bad input. ``state_name`` is what explanations call the state ("register after it: 3").
    """

    name: ClassVar[str] = ""
    functions: ClassVar[tuple[str, ...]] = ()
    state_name: ClassVar[str] = "state"

    def init(self) -> Hashable:
        """The state before any operation."""
        raise NotImplementedError

    def step(self, state: Any, op: Operation) -> tuple[bool, Hashable]:
        """Whether ``op`` is legal on ``state``, and the state after it (when legal)."""
        raise NotImplementedError

    def partition(self, op: Operation) -> Hashable:
        """The independent object ``op`` acts on: its key."""
        return op.key

    def problem(self, op: Operation) -> str | None:
        """What is wrong with ``op``'s value or output for this model (one line), or None."""
        return None

    def register_form(self, op: Operation) -> RegisterForm | None:
        """``op`` as a register operation, when it is one (see the module's docstring)."""
        return None

    def unobservable(self, ops: list[Operation], infos: list[int]) -> set[int]:
        """Positions (among ``infos``, those of the info ops) of ``info`` ops of one partition
        that the search may leave out: a history with them must be linearizable iff it is
        without them (e.g. an info enqueue whose value
        no dequeue returned: had it taken effect, nothing after it could have been dequeued)."""
        return set()

    def describe(self, state: Any) -> Any:
        """A state as a JSON value, for explanations and pictures."""
        return state

    def describe_op(self, op: Operation) -> str:
        """An operation as explanations show it: ``append "x"``, ``read -> [1, 2]``."""
        what = op.f if op.value is None else f"{op.f} {as_json(op.value)}"
        if op.status == "ok" and op.output is not None:
            what += f" -> {as_json(op.output)}"
        return what


def as_json(value: Any) -> str:
    return json.dumps(value, default=repr)


def canonical(value: Any) -> Hashable:
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
        return ("list", tuple(canonical(item) for item in value))
    if isinstance(value, Mapping):
        return ("object", tuple(sorted((str(k), canonical(v)) for k, v in value.items())))
    return ("other", repr(value))


def uncanonical(state: Any) -> Any:
    """The JSON value a `canonical` stand-in stands for."""
    if not isinstance(state, tuple):
        return state
    tag, body = state
    if tag == "bool":
        return body
    if tag == "float":
        return float(body)
    if tag == "list":
        return [uncanonical(item) for item in body]
    if tag == "object":
        return {k: uncanonical(v) for k, v in body}
    return body
