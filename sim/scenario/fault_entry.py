"""What every entry of `faults:` is: a kind's model extends `Undoable` or `Once`.

Every entry fires at ``at`` (ms from the start). Faults that can be undone take ``for``: the
fault is lifted that long after it fired (crash -> restart, pause -> resume, partition, cut and
isolate -> the links come back, loss/duplicate/delay/clock -> the previous setting).

Targets name nodes: a node name, a list of names, or a role resolved when the fault fires:
``leader`` (the node the protocol reports as leader; for `seed`, the node that proposed last),
``followers`` (every live node but the leader), ``random`` (one live node), ``minority`` (a random
(n-1)//2 nodes), ``majority`` (a random n//2+1 nodes), ``crashed`` (nodes down now). A list may
mix names and roles; it means all of them.

A kind's module (`sim.faults.kinds`, or any module that registers one) subclasses these with the
kind's own key and its behaviour: see `sim.faults.api`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, ClassVar

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, WithJsonSchema, field_validator

from sim.units import Duration

if TYPE_CHECKING:  # (numpy is not imported for `quorumsim validate`)
    import numpy as np

ROLES = ("leader", "followers", "random", "minority", "majority", "crashed")

Path = tuple[str | int, ...]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)]


def one_or_many(value: Any) -> Any:
    """A name stands for the list of that one name."""
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ValueError(f"a node name, a list of names, or a role ({', '.join(ROLES)})")
    return value


Target = Annotated[
    list[Name],
    Field(min_length=1),
    BeforeValidator(one_or_many),
    WithJsonSchema(
        {
            "anyOf": [
                {"type": "string"},
                {"type": "array", "items": {"type": "string"}, "minItems": 1},
            ],
            "description": "a node name, a list of names, or a role: " + ", ".join(ROLES),
        }
    ),
]
"""A node name, a list of names, or a role; always a list once validated."""


class Strict(BaseModel):
    """Unknown keys are errors; `from`/`for` keys are read by alias (Python keywords)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class FaultEntry(Strict):
    """One entry of `faults:`. A kind names itself in ``kind`` and has a field of that name: an
    entry is of the kind whose key it has."""

    kind: ClassVar[str]
    order: ClassVar[int] = 1000
    """Where the kind is listed (docs, messages): built-ins 10, 20, ...; others after them."""
    drawable: ClassVar[bool] = False
    """The random nemesis may draw this kind (`nemesis_body` says how); it must be undoable."""
    at: Duration = Field(description="when the fault fires, from the start of the run")
    for_: Duration | None

    def targets(self) -> list[tuple[Path, list[str]]]:
        """Each target the entry names, with its path within the entry (the node names in it
        are checked against the cluster)."""
        return []

    def problems(self) -> list[tuple[Path, str]]:
        """What is wrong across the entry's keys that no single key shows (path, message)."""
        return []

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        """The value of the kind's key in an entry the random nemesis draws now: ``target`` is
        the nemesis's `target` (None: not given), ``rng`` its stream for any draw it needs."""
        raise NotImplementedError(f"the nemesis does not draw `{cls.kind}`")


class Undoable(FaultEntry):
    """An entry that ``for`` undoes."""

    for_: Duration | None = Field(
        default=None,
        alias="for",
        description="undo the fault this long after it fired (crash: restart, pause: resume, "
        "partition, cut, isolate: the links come back, loss, duplicate, delay, clock: the "
        "previous setting); restart, heal and nemesis take none",
    )


class Once(FaultEntry):
    """An entry that is not undone: restart and heal are undos, the nemesis undoes its own."""

    for_: None = Field(default=None, alias="for")

    @field_validator("for_", mode="before")
    @classmethod
    def _no_for(cls, value: Any) -> None:
        # A field rather than an unknown key, so that the error names this kind's keys.
        if value is not None and cls.kind == "nemesis":
            raise ValueError(
                "put `for` inside `nemesis:` (how long each fault lasts); `stop` ends the nemesis"
            )
        if value is not None:
            raise ValueError(f"`{cls.kind}` is not undone, so it takes no `for`")
