"""The scenario file as one pydantic model tree (extra keys are errors at every level)."""

from __future__ import annotations

import re
import typing
from typing import Annotated, Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    Tag,
    field_validator,
    model_validator,
)

from sim.scenario.faults import ROLES, Fault
from sim.units import Duration, Rate

OpKind = Literal["write", "read", "cas"]
ROLE_NAMES = frozenset({*ROLES, "any"})  # targets that name a role, never a node
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NodeName = Annotated[str, Field(pattern=r"^[A-Za-z][A-Za-z0-9_.-]*$", max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- latency distributions -------------------------------------------------------------------


class Constant(Strict):
    dist: Literal["constant"] = "constant"
    value: Duration


class Uniform(Strict):
    dist: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low} ms) must be <= high ({self.high} ms)")
        return self


class Normal(Strict):
    dist: Literal["normal"]
    mean: Duration
    std: Duration


class LogNormal(Strict):
    dist: Literal["lognormal"]
    median: Duration
    sigma: Annotated[float, Field(ge=0.0, le=10.0)]


class Exponential(Strict):
    dist: Literal["exponential"]
    mean: Duration


class Pareto(Strict):
    dist: Literal["pareto"]
    scale: Duration
    shape: Annotated[float, Field(gt=0.0)]


class Empirical(Strict):
    dist: Literal["empirical"]
    samples: Annotated[list[Duration], Field(min_length=1)]


def _dist_tag(value: Any) -> str:
    if isinstance(value, dict):
        return str(value.get("dist", "constant"))
    if isinstance(value, BaseModel):
        return str(getattr(value, "dist", "constant"))
    return "duration"


def _constant_from_duration(value: Any) -> Any:
    return value if isinstance(value, dict | BaseModel) else {"dist": "constant", "value": value}


Latency = Annotated[
    Annotated[Constant, Tag("constant")]
    | Annotated[Uniform, Tag("uniform")]
    | Annotated[Normal, Tag("normal")]
    | Annotated[LogNormal, Tag("lognormal")]
    | Annotated[Exponential, Tag("exponential")]
    | Annotated[Pareto, Tag("pareto")]
    | Annotated[Empirical, Tag("empirical")]
    | Annotated[Constant, Tag("duration")],
    Discriminator(_dist_tag),
]
LATENCY_TAGS = frozenset(
    meta.tag
    for member in typing.get_args(typing.get_args(Latency)[0])
    for meta in typing.get_args(member)[1:]
    if isinstance(meta, Tag)
)
"""The union tags pydantic puts in error locations of a latency (not keys of the file)."""


class Link(Strict):
    """An override for the links from ``from`` to each of ``to`` (and back if symmetric)."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)
    src: list[NodeName] = Field(alias="from")
    dst: list[NodeName] = Field(alias="to")
    latency: Latency | None = None
    loss: Probability | None = None
    duplicate: Probability | None = None
    symmetric: bool = False

    @field_validator("src", "dst", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("latency", mode="before")
    @classmethod
    def _latency_shorthand(cls, value: Any) -> Any:
        return None if value is None else _constant_from_duration(value)


# --- sections ---------------------------------------------------------------------------------


class Cluster(Strict):
    nodes: (
        Annotated[int, Field(ge=1, le=10_000)] | Annotated[list[NodeName], Field(min_length=1)]
    ) = 3
    protocol: str = "seed"
    params: dict[str, Any] = Field(default_factory=dict)
    processing: Duration = 0.0
    disk_write: Duration = 0.0

    @property
    def node_names(self) -> tuple[str, ...]:
        if isinstance(self.nodes, int):
            return tuple(f"n{i}" for i in range(1, self.nodes + 1))
        return tuple(self.nodes)

    @field_validator("nodes")
    @classmethod
    def _unique(cls, value: int | list[str]) -> int | list[str]:
        if isinstance(value, list):
            seen = [n for i, n in enumerate(value) if n in value[:i]]
            if seen:
                raise ValueError(f"node names must be unique; repeated: {', '.join(seen)}")
            # A fault or client target may name a role; a node called `leader` would be ambiguous.
            roles = sorted(ROLE_NAMES & set(value))
            if roles:
                raise ValueError(f"{', '.join(roles)}: reserved for roles, not node names")
        return value


class Network(Strict):
    latency: Latency = Field(default_factory=lambda: Constant(value=1.0))
    client_latency: Latency = Field(default_factory=lambda: Constant(value=0.0))
    loss: Probability = 0.0
    duplicate: Probability = 0.0
    ordering: Literal["unordered", "fifo"] = "unordered"
    links: list[Link] = Field(default_factory=list)

    @field_validator("latency", "client_latency", mode="before")
    @classmethod
    def _latency_shorthand(cls, value: Any) -> Any:
        return _constant_from_duration(value)


def _writes_only() -> dict[OpKind, float]:
    return {"write": 1.0}


class Workload(Strict):
    clients: Annotated[int, Field(ge=0, le=100_000)] = 1
    mode: Literal["closed", "open"] = "closed"
    rate: Rate = 100.0
    think: Duration = 0.0
    ops: Annotated[int, Field(ge=0)] | None = None
    mix: dict[OpKind, Annotated[float, Field(ge=0.0)]] = Field(default_factory=_writes_only)
    keys: Annotated[int, Field(ge=1, le=1_000_000)] = 1
    target: str = "leader"
    timeout: Duration = 1000.0
    start: Duration = 0.0

    @field_validator("mix")
    @classmethod
    def _some_weight(cls, value: dict[OpKind, float]) -> dict[OpKind, float]:
        if not value or sum(value.values()) <= 0:
            raise ValueError("mix needs at least one operation with a positive weight")
        return value

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("timeout must be > 0")
        return value


class Checks(Strict):
    safety: bool = True
    linearizable: bool = False
    expect: Literal["safe", "unsafe"] = "safe"
    # Liveness is reported beside safety, never mixed into `expect`: a teaching scenario may be
    # unsafe and live, or safe and stalled.
    live: bool = False  # a stall longer than max_stall, or no completed operation, fails the run
    max_stall: Duration = 1000.0  # longest wait with operations pending and none completing

    @field_validator("max_stall")
    @classmethod
    def _positive_stall(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("max_stall must be > 0")
        return value


class Output(Strict):
    trace: bool = False


_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")


class Sweep(Strict):
    grid: dict[str, list[Any]] = Field(default_factory=dict)
    zip: dict[str, list[Any]] = Field(default_factory=dict)
    seeds: Annotated[int, Field(ge=1, le=100_000)] = 1

    @field_validator("grid", "zip")
    @classmethod
    def _keys_and_values(cls, value: dict[str, list[Any]]) -> dict[str, list[Any]]:
        for key, values in value.items():
            if not _DOTTED.match(key):
                raise ValueError(f"{key!r} is not a dotted key such as cluster.nodes")
            if not values:
                raise ValueError(f"{key}: needs at least one value")
        return value

    @model_validator(mode="after")
    def _zip_lengths(self) -> Sweep:
        lengths = {len(v) for v in self.zip.values()}
        if len(lengths) > 1:
            raise ValueError("every key under zip needs the same number of values")
        return self


class Scenario(Strict):
    """A whole scenario file, every default filled in."""

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)]
    description: str = ""
    seed: Annotated[int, Field(ge=0, lt=2**63)] = 1
    duration: Duration = 10_000.0
    cluster: Cluster = Field(default_factory=Cluster)
    network: Network = Field(default_factory=Network)
    workload: Workload = Field(default_factory=Workload)
    faults: list[Fault] = Field(default_factory=list)
    checks: Checks = Field(default_factory=Checks)
    sweep: Sweep | None = None
    output: Output = Field(default_factory=Output)

    @field_validator("duration")
    @classmethod
    def _positive_duration(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("duration must be > 0")
        return value
