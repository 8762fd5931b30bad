"""The `faults:` section: one model per registered kind, picked by which kind key an entry has;
the random nemesis's entry; and the checks that need the cluster.

The kinds are looked up in the registry (`sim.scenario.fault_kinds`) each time an entry is
validated, so the union grows with every kind registered; the generated docs and the JSON Schema
show the built-in kinds.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable
from typing import Annotated, Any, Literal, Union

from pydantic import (
    Discriminator,
    Field,
    GetCoreSchemaHandler,
    GetJsonSchemaHandler,
    Tag,
    TypeAdapter,
    model_validator,
)
from pydantic_core import CoreSchema, PydanticCustomError, core_schema

from sim.scenario.fault_entry import ROLES, FaultEntry, Once, Path, Strict, Target, Undoable
from sim.scenario.fault_kinds import broken_kinds, fault_kinds
from sim.units import Duration

__all__ = ["ROLES", "Fault", "FaultEntry", "NemesisFault", "Once", "Target", "Undoable"]


def drawable_kinds(builtin: bool = False) -> list[str]:
    """The kinds the random nemesis may draw, in the registry's order."""
    return [kind for kind, cls in fault_kinds(builtin).items() if cls.drawable]


class _Drawable:
    """A kind the nemesis may draw: checked against the registry when validated."""

    def choices(self) -> list[str]:
        """The built-in kinds it may name, for the docs."""
        return drawable_kinds(builtin=True)

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(_drawable)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> dict[str, Any]:
        return {"enum": self.choices(), "type": "string"}

    def __repr__(self) -> str:
        return "a kind the nemesis draws"


DrawableKind = Annotated[str, _Drawable()]


def _drawable(value: Any) -> str:
    kinds = drawable_kinds()
    if isinstance(value, str) and value in kinds:
        return value
    # Worded as pydantic words a Literal's error, which the loader knows how to show.
    quoted = [repr(kind) for kind in kinds]
    expected = f"{', '.join(quoted[:-1])} or {quoted[-1]}" if len(quoted) > 1 else quoted[0]
    raise PydanticCustomError("literal_error", "Input should be {expected}", {"expected": expected})


Moment = Literal["proposed", "became_leader", "first_commit", "campaign_started", "persisted"]
"""A protocol moment an aimed nemesis strikes at (`sim.faults.nemesis`)."""


class NemesisSpec(Strict):
    kinds: list[DrawableKind] = Field(
        default_factory=list,
        description="the kinds to draw from, uniformly (may be empty when `aim` is given)",
    )
    every: Annotated[Duration, Field(gt=0.0)] = Field(description="how often a fault strikes")
    for_: Duration | None = Field(
        default=None, alias="for", description="how long each fault lasts (default: every / 2)"
    )
    stop: Duration | None = Field(
        default=None, description="when the nemesis ends (default: the end)"
    )
    target: Target | None = Field(
        default=None,
        description="whom crash, pause and isolate strike, e.g. `leader` (default: `random`, "
        "one random live node)",
    )
    aim: list[Moment] = Field(
        default_factory=list,
        description="protocol moments to strike at, besides every `every`: proposed (crash "
        "the proposer), became_leader (partition the new leader with a minority), first_commit "
        "(crash a new leader right after its first decision), "
        "campaign_started (crash and restart a voter between two votes), persisted "
        "(lose_unsynced during the node's disk write; needs fsync)",
    )
    chance: Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=0.2, description="the probability an aimed moment is struck"
    )
    aim_delay: Duration = Field(
        default=2.0, description="an aimed fault strikes within this long after its moment"
    )
    aim_for: Duration | None = Field(
        default=None, description="how long an aimed fault lasts (default: `for`)"
    )
    buggify: bool = Field(
        default=False,
        description="draw from the seed, once per run, which kinds and moments are on and how "
        "likely each is (different seeds explore different mixes)",
    )
    torn: bool | Annotated[float, Field(ge=0.0, le=1.0)] = Field(
        default=False,
        description="the power losses it draws (lose_unsynced, the persisted moment) tear the "
        "write in progress (`torn: true` of lose_unsynced): true for all, a number for that "
        "share of them",
    )

    @model_validator(mode="after")
    def _something_to_do(self) -> NemesisSpec:
        if not self.kinds and not self.aim:
            raise ValueError("give `kinds` (random faults) or `aim` (protocol moments), or both")
        return self


class NemesisFault(Once):
    """``{nemesis: {kinds: [crash, partition, pause, loss], every: 2s, for: 1s}}``: from ``at``
    (default 0) until ``stop`` (default: the end), every ``every`` one fault of a kind drawn
    uniformly from ``kinds`` strikes and is undone after ``for`` (default: half of ``every``).
    Draws come from the seed alone. crash, pause, isolate: ``target`` (default: one random live
    node; ``target: leader`` strikes the leader again and again); partition: a random minority
    from the rest; loss, duplicate: probability 0.5 on every link; delay: 100 ms
    more on the links to and from one random node; clock: one random node's timers at x2 or x0.5.
    """

    kind = "nemesis"
    at: Duration = 0.0
    nemesis: NemesisSpec = Field(
        description="random faults drawn from the seed alone, from `at` until `stop`"
    )

    def targets(self) -> list[tuple[Path, list[str]]]:
        target = self.nemesis.target
        return [(("nemesis", "target"), target)] if target is not None else []

    def problems(self) -> list[tuple[Path, str]]:
        spec = self.nemesis
        found: list[tuple[Path, str]] = []
        if spec.stop is not None and spec.stop <= self.at:
            found.append((("nemesis", "stop"), f"must be after `at` ({self.at:g} ms)"))
        if spec.torn and "lose_unsynced" not in spec.kinds and "persisted" not in spec.aim:
            why = "tears power losses: needs lose_unsynced in `kinds` or persisted in `aim`"
            found.append((("nemesis", "torn"), why))
        return found


# --- the union of the kinds ------------------------------------------------------------------


def entry_models(builtin: bool = False) -> list[type[FaultEntry]]:
    """Every entry model, in the order listed: the kinds, then the nemesis."""
    return [*fault_kinds(builtin).values(), NemesisFault]


def validate_fault(value: Any) -> FaultEntry:
    """One entry of `faults:` as its kind's model (a ValidationError says what is wrong)."""
    if isinstance(value, dict):
        broken = broken_kinds()
        named = [kind for kind in broken if kind in value]
        if named and not any(kind in value for kind in fault_kinds()):
            raise PydanticCustomError("fault_kind", "{reason}", {"reason": broken[named[0]]})
    return _union(tuple(entry_models())).validate_python(value)


def _tag(kind: str) -> str:
    # Not a key of the data: the loader drops bracketed union tags from error paths.
    return f"fault[{kind}]"


@functools.cache
def _union(models: tuple[type[FaultEntry], ...]) -> TypeAdapter[Any]:
    """The discriminated union of ``models``, each picked by its kind key (the first of them,
    in this order, that an entry has)."""
    kinds = [model.kind for model in models]

    def kind_of(value: Any) -> str | None:
        if isinstance(value, FaultEntry):
            return _tag(value.kind)
        if isinstance(value, dict):
            for kind in kinds:
                if kind in value:
                    return _tag(kind)
        return None

    members = tuple(Annotated[model, Tag(_tag(model.kind))] for model in models)
    union: Any = Annotated[
        Union[members],  # noqa: UP007 (a union of a tuple of types is spelled this way)
        Discriminator(
            kind_of,
            custom_error_type="fault_kind",
            custom_error_message="a fault is a mapping with `at:` and one kind key (kinds: "
            + ", ".join(kinds)
            + ")",
        ),
    ]
    return TypeAdapter(union)


class _Registered:
    """Validates an entry as the union of the kinds registered then; its JSON Schema is the
    union of the built-in kinds."""

    def models(self) -> list[type[FaultEntry]]:
        """The models an entry may be (the loader picks one to list an entry's keys)."""
        return entry_models()

    def __get_pydantic_core_schema__(
        self, source: Any, handler: GetCoreSchemaHandler
    ) -> CoreSchema:
        return core_schema.no_info_plain_validator_function(validate_fault)

    def __get_pydantic_json_schema__(
        self, schema: CoreSchema, handler: GetJsonSchemaHandler
    ) -> Any:
        return handler(_union(tuple(entry_models(builtin=True))).core_schema)

    def __repr__(self) -> str:
        return "registered fault kinds"


Fault = Annotated[FaultEntry, _Registered()]
"""One entry of `faults:`."""


# --- checks that need the cluster -------------------------------------------------------------


def check_fault_names(
    faults: Iterable[tuple[int, FaultEntry]], nodes: tuple[str, ...] | None, duration: float | None
) -> list[tuple[Path, str]]:
    """Problems no single field shows: unknown node names, overlapping partition groups, faults
    that would fire after the run ends. ``faults`` are the valid entries with their index in the
    file; ``nodes`` or ``duration`` is None when it is itself invalid, and the checks that need
    it are skipped. Returns (data path, message) pairs."""
    problems: list[tuple[Path, str]] = []
    for i, fault in faults:
        base: Path = ("faults", i)
        if nodes is not None:
            for path, names in fault.targets():
                problems += _unknown_names((*base, *path), names, nodes)
        problems += [((*base, *path), message) for path, message in fault.problems()]
        if duration is not None and fault.at >= duration:
            problems.append(
                (
                    (*base, "at"),
                    f"{fault.at:g} ms is not before the end of the run ({duration:g} ms)",
                )
            )
    return problems


def _unknown_names(path: Path, names: list[str], nodes: tuple[str, ...]) -> list[tuple[Path, str]]:
    allowed = [*ROLES, *nodes]
    problems = []
    for j, name in enumerate(names):
        if name in ROLES or name in nodes:
            continue
        near = difflib.get_close_matches(name, allowed, n=1)
        hint = f"; did you mean `{near[0]}`?" if near else ""
        shown = ", ".join(allowed[:18]) + (", ..." if len(allowed) > 18 else "")
        where = (*path, j) if len(names) > 1 else path
        problems.append((where, f"unknown node {name!r} (allowed: {shown}){hint}"))
    return problems
