"""The `faults:` section: one model per fault kind, picked by which kind key an entry has.

Every entry fires at ``at`` (ms from the start). Faults that can be undone take ``for``: the
fault is lifted that long after it fired (crash -> restart, pause -> resume, partition, cut and
isolate -> the links come back, loss/duplicate/delay/clock -> the previous setting).

Targets name nodes: a node name, a list of names, or a role resolved when the fault fires:
``leader`` (the node the protocol reports as leader; for `seed`, the node that proposed last),
``followers`` (every live node but the leader), ``random`` (one live node), ``minority`` (a random
(n-1)//2 nodes), ``majority`` (a random n//2+1 nodes), ``crashed`` (nodes down now). A list may
mix names and roles; it means all of them.
"""

from __future__ import annotations

import difflib
import typing
from collections.abc import Iterable
from typing import Annotated, Any, ClassVar, Literal

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    WithJsonSchema,
    field_validator,
)

from sim.units import Duration

ROLES = ("leader", "followers", "random", "minority", "majority", "crashed")
KINDS = (
    "crash",
    "restart",
    "pause",
    "partition",
    "cut",
    "isolate",
    "heal",
    "loss",
    "duplicate",
    "delay",
    "clock",
    "nemesis",
)
NemesisKind = Literal[
    "crash", "pause", "partition", "isolate", "loss", "duplicate", "delay", "clock"
]

Path = tuple[str | int, ...]
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
Name = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)]


def _one_or_many(value: Any) -> Any:
    if isinstance(value, str):
        return [value]
    if not isinstance(value, list):
        raise ValueError(f"a node name, a list of names, or a role ({', '.join(ROLES)})")
    return value


Target = Annotated[
    list[Name],
    Field(min_length=1),
    BeforeValidator(_one_or_many),
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


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)


class _Timed(_Strict):
    kind: ClassVar[str]
    at: Duration = Field(description="when the fault fires, from the start of the run")


class _Undoable(_Timed):
    for_: Duration | None = Field(
        default=None,
        alias="for",
        description="undo the fault this long after it fired (crash: restart, pause: resume, "
        "partition, cut, isolate: the links come back, loss, duplicate, delay, clock: the "
        "previous setting); restart, heal and nemesis take none",
    )


class _Once(_Timed):
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


class CrashFault(_Undoable):
    """``{at: 5s, crash: leader, for: 1s}``: volatile state, timers and queued work are lost;
    durable state is kept. ``for`` restarts the nodes this fault crashed."""

    kind = "crash"
    crash: Target = Field(
        description="crash these nodes: volatile state, timers and queued work are lost, "
        "durable state kept"
    )


class RestartFault(_Once):
    """``{at: 6s, restart: crashed}``: crashed nodes come back with their durable state."""

    kind = "restart"
    restart: Target = Field(
        description="bring these crashed nodes back with their durable state, e.g. `crashed`"
    )


class PauseFault(_Undoable):
    """``{at: 2s, pause: n2, for: 500ms}``: the node handles nothing (a GC pause, a frozen VM)
    and keeps every state; what arrived meanwhile is handled, in order, when it resumes."""

    kind = "pause"
    pause: Target = Field(
        description="these nodes handle nothing and keep every state (a GC pause); what "
        "arrived meanwhile is handled in order when they resume"
    )


class PartitionFault(_Undoable):
    """``{at: 8s, partition: [[n1, n2], [n3, n4, n5]], for: 2s}``: each item is a group (a
    target); nodes in no group form one more group. Links between groups are cut both ways.
    ``partition: leader`` cuts the leader from the rest; a new partition replaces the old."""

    kind = "partition"
    partition: Annotated[list[Target], Field(min_length=1), BeforeValidator(_one_or_many)] = Field(
        description="groups (each a target) cut from each other both ways; nodes in no "
        "group form one more; a new partition replaces the old"
    )


class CutLinks(_Strict):
    src: Target = Field(alias="from", description="the nodes whose messages are dropped")
    dst: Target = Field(alias="to", description="the nodes those messages were going to")


class CutFault(_Undoable):
    """``{at: 1s, cut: {from: n1, to: n2}}``: messages from n1 to n2 are dropped (one way)."""

    kind = "cut"
    cut: CutLinks = Field(description="drop the messages from `from` to `to` (one way)")


class IsolateFault(_Undoable):
    """``{at: 1s, isolate: leader, for: 2s}``: the target is cut off from every other node."""

    kind = "isolate"
    isolate: Target = Field(description="cut these nodes off from every other node")


class HealFault(_Once):
    """``{at: 4s, heal: true}``: every partition, isolation and cut is lifted."""

    kind = "heal"
    heal: Literal[True] = Field(
        description="`true`: lift every partition, isolation and cut at once"
    )


class LossFault(_Undoable):
    """``{at: 12s, loss: 0.3, for: 1s}``: every node-to-node link drops messages with this
    probability (instead of its configured one)."""

    kind = "loss"
    loss: Probability = Field(
        description="every node-to-node link drops messages with this probability instead"
    )


class DuplicateFault(_Undoable):
    """``{at: 1s, duplicate: 0.5}``: every link delivers a message twice with this probability."""

    kind = "duplicate"
    duplicate: Probability = Field(
        description="every link delivers a message twice with this probability instead"
    )


def _extra_only(value: Any) -> Any:
    return value if isinstance(value, dict | BaseModel) else {"extra": value}


def _or_duration(schema: dict[str, Any]) -> None:
    # Editors should accept the `delay: 20ms` shorthand as well as the mapping.
    schema["anyOf"] = [{"$ref": schema.pop("$ref")}, {"type": ["number", "string"]}]


class DelayLinks(_Strict):
    """Extra latency on the links from each ``from`` node to each ``to`` node (default: every
    node on a side left out), and back too if ``symmetric``."""

    extra: Duration = Field(description="latency added to each message on these links")
    src: Target | None = Field(
        default=None, alias="from", description="the sending nodes (default: every node)"
    )
    dst: Target | None = Field(
        default=None, alias="to", description="the receiving nodes (default: every node)"
    )
    symmetric: bool = Field(default=False, description="also the links back, from `to` to `from`")


class DelayFault(_Undoable):
    """``{at: 2s, delay: {extra: 20ms, to: n3}, for: 1s}``: messages to n3 take 20 ms longer;
    ``delay: 20ms`` delays every link; ``{extra: 20ms, from: n1, to: n2, symmetric: true}``
    delays n1 <-> n2."""

    kind = "delay"
    delay: Annotated[
        DelayLinks,
        BeforeValidator(_extra_only),
        Field(json_schema_extra=_or_duration),
    ] = Field(description="extra latency: a duration for every link, or a mapping for some")


class ClockSkew(_Strict):
    node: Target = Field(description="the nodes whose timers are skewed")
    factor: Annotated[float, Field(gt=0.0, le=1000.0)] = Field(
        description="how fast their timers run: 2.0 fires timeouts in half the time, 0.5 in "
        "twice the time"
    )


class ClockFault(_Undoable):
    """``{at: 1s, clock: {node: n2, factor: 2.0}}``: n2's timers run twice as fast (timeouts
    fire in half the time); 0.5 runs them at half speed. Timers set from then on are affected."""

    kind = "clock"
    clock: ClockSkew = Field(description="skew the timers set from now on")


class NemesisSpec(_Strict):
    kinds: Annotated[list[NemesisKind], Field(min_length=1)] = Field(
        description="the kinds to draw from, uniformly: " + ", ".join(typing.get_args(NemesisKind))
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


class NemesisFault(_Once):
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


def _tag(kind: str) -> str:
    # Not a key of the data: the loader drops bracketed union tags from error paths.
    return f"fault[{kind}]"


def _fault_kind(value: Any) -> str | None:
    if isinstance(value, _Timed):
        return _tag(value.kind)
    if isinstance(value, dict):
        for kind in KINDS:
            if kind in value:
                return _tag(kind)
    return None


Fault = Annotated[
    Annotated[CrashFault, Tag(_tag("crash"))]
    | Annotated[RestartFault, Tag(_tag("restart"))]
    | Annotated[PauseFault, Tag(_tag("pause"))]
    | Annotated[PartitionFault, Tag(_tag("partition"))]
    | Annotated[CutFault, Tag(_tag("cut"))]
    | Annotated[IsolateFault, Tag(_tag("isolate"))]
    | Annotated[HealFault, Tag(_tag("heal"))]
    | Annotated[LossFault, Tag(_tag("loss"))]
    | Annotated[DuplicateFault, Tag(_tag("duplicate"))]
    | Annotated[DelayFault, Tag(_tag("delay"))]
    | Annotated[ClockFault, Tag(_tag("clock"))]
    | Annotated[NemesisFault, Tag(_tag("nemesis"))],
    Discriminator(
        _fault_kind,
        custom_error_type="fault_kind",
        custom_error_message="a fault is a mapping with `at:` and one kind key (kinds: "
        + ", ".join(KINDS)
        + ")",
    ),
]
"""One entry of `faults:`."""


# --- checks that need the cluster -------------------------------------------------------------


def check_fault_names(
    faults: Iterable[tuple[int, Any]], nodes: tuple[str, ...] | None, duration: float | None
) -> list[tuple[Path, str]]:
    """Problems no single field shows: unknown node names, overlapping partition groups, faults
    that would fire after the run ends. ``faults`` are the valid entries with their index in the
    file; ``nodes`` or ``duration`` is None when it is itself invalid, and the checks that need
    it are skipped. Returns (data path, message) pairs."""
    problems: list[tuple[Path, str]] = []
    for i, fault in faults:
        base: Path = ("faults", i)
        if nodes is not None:
            for path, names in _targets(fault):
                problems += _unknown_names((*base, *path), names, nodes)
        if isinstance(fault, PartitionFault):
            problems += _overlaps((*base, "partition"), fault.partition)
        if duration is not None and fault.at >= duration:
            problems.append(
                (
                    (*base, "at"),
                    f"{fault.at:g} ms is not before the end of the run ({duration:g} ms)",
                )
            )
        stop = fault.nemesis.stop if isinstance(fault, NemesisFault) else None
        if stop is not None and stop <= fault.at:
            problems.append(((*base, "nemesis", "stop"), f"must be after `at` ({fault.at:g} ms)"))
    return problems


def _targets(fault: Any) -> list[tuple[Path, list[str]]]:
    """Every target of a fault, with its path relative to the fault entry."""
    if isinstance(fault, PartitionFault):
        return [(("partition", j), group) for j, group in enumerate(fault.partition)]
    if isinstance(fault, CutFault):
        return [(("cut", "from"), fault.cut.src), (("cut", "to"), fault.cut.dst)]
    if isinstance(fault, DelayFault):
        sides = (("from", fault.delay.src), ("to", fault.delay.dst))
        return [(("delay", key), names) for key, names in sides if names is not None]
    if isinstance(fault, ClockFault):
        return [(("clock", "node"), fault.clock.node)]
    if isinstance(fault, CrashFault | RestartFault | PauseFault | IsolateFault):
        return [((fault.kind,), getattr(fault, fault.kind))]
    if isinstance(fault, NemesisFault) and fault.nemesis.target is not None:
        return [(("nemesis", "target"), fault.nemesis.target)]
    return []


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


def _overlaps(path: Path, groups: list[list[str]]) -> list[tuple[Path, str]]:
    first_group: dict[str, int] = {}
    problems = []
    for j, group in enumerate(groups):
        for name in group:
            if name in ROLES:
                continue  # resolved at fire time; a node already placed stays in its group
            seen = first_group.setdefault(name, j)
            if seen != j:
                problems.append(
                    ((*path, j), f"{name} is already in group {seen + 1}; groups must not overlap")
                )
    return problems
