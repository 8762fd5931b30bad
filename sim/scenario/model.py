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
    ValidationInfo,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from sim.scenario.faults import ROLES, Fault
from sim.units import DRIFT_SCHEMA, Drift, Duration, Rate

OpKind = Literal["write", "read", "cas", "append", "delete"]
ROLE_NAMES = frozenset({*ROLES, "any"})  # targets that name a role, never a node
Probability = Annotated[float, Field(ge=0.0, le=1.0)]
NODE_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_.-]*$"
NodeName = Annotated[str, Field(pattern=NODE_NAME_PATTERN, max_length=64)]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


# --- latency distributions -------------------------------------------------------------------


class Constant(Strict):
    """always exactly `value`"""

    dist: Literal["constant"] = "constant"
    value: Duration


class Uniform(Strict):
    """uniformly between `low` and `high`"""

    dist: Literal["uniform"]
    low: Duration
    high: Duration

    @model_validator(mode="after")
    def _ordered(self) -> Uniform:
        if self.low > self.high:
            raise ValueError(f"low ({self.low} ms) must be <= high ({self.high} ms)")
        return self


class Normal(Strict):
    """normal with `mean` and standard deviation `std`, redrawn below 0"""

    dist: Literal["normal"]
    mean: Duration
    std: Duration


class LogNormal(Strict):
    """log-normal: `median`, and `sigma` the standard deviation of its logarithm (a tail)"""

    dist: Literal["lognormal"]
    median: Duration
    sigma: Annotated[float, Field(ge=0.0, le=10.0)]


class Exponential(Strict):
    """exponential with `mean` (memoryless)"""

    dist: Literal["exponential"]
    mean: Duration


class Pareto(Strict):
    """Pareto from `scale` (the minimum) with tail index `shape` (smaller: heavier tail)"""

    dist: Literal["pareto"]
    scale: Duration
    shape: Annotated[float, Field(gt=0.0)]


class Empirical(Strict):
    """one of `samples`, drawn uniformly (measured latencies)"""

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
    src: list[NodeName] = Field(alias="from", description="the sending nodes: a name or a list")
    dst: list[NodeName] = Field(alias="to", description="the receiving nodes: a name or a list")
    latency: Latency | None = Field(
        default=None, description="instead of network.latency on these links"
    )
    loss: Probability | None = Field(
        default=None, description="instead of network.loss on these links"
    )
    duplicate: Probability | None = Field(
        default=None, description="instead of network.duplicate on these links"
    )
    symmetric: bool = Field(
        default=False, description="also the links back, from each `to` to `from`"
    )

    @field_validator("src", "dst", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value

    @field_validator("latency", mode="before")
    @classmethod
    def _latency_shorthand(cls, value: Any) -> Any:
        return None if value is None else _constant_from_duration(value)


# --- clock drift ------------------------------------------------------------------------------


class DriftRange(Strict):
    """each node's drift drawn once, uniformly between `low` and `high`, from its own stream"""

    low: Drift = Field(description="the slowest a clock may run, e.g. -50ppm")
    high: Drift = Field(description="the fastest a clock may run, e.g. 50ppm")

    @field_validator("high")
    @classmethod
    def _ordered(cls, high: float, info: ValidationInfo) -> float:
        # On `high`, not the model: the error then names a key of the file.
        low = info.data.get("low")
        if low is not None and low > high:
            raise ValueError(f"must be >= low ({low * 1e6:g}ppm), got {high * 1e6:g}ppm")
        return high


def _drift_tag(value: Any) -> str:
    if isinstance(value, DriftRange) or (isinstance(value, dict) and {"low", "high"} & set(value)):
        return "range"
    return "nodes"


# The JSON Schema's per-node mapping may not name `low` or `high`, else a range would match both
# members of the union (`oneOf`), and editors would flag every range.
_PER_NODE_SCHEMA = {
    "type": "object",
    "propertyNames": {
        "pattern": NODE_NAME_PATTERN,
        "maxLength": 64,
        "not": {"enum": ["low", "high"]},
    },
    "additionalProperties": DRIFT_SCHEMA,
}
ClockDrift = Annotated[
    Annotated[DriftRange, Tag("range")]
    | Annotated[dict[NodeName, Drift], Tag("nodes"), WithJsonSchema(_PER_NODE_SCHEMA)],
    Discriminator(_drift_tag),
]
"""A range every node's drift is drawn from, or a drift per node (a mapping naming `low` or
`high` is a range)."""


# --- sections ---------------------------------------------------------------------------------


class Cluster(Strict):
    nodes: (
        Annotated[int, Field(ge=1, le=10_000)] | Annotated[list[NodeName], Field(min_length=1)]
    ) = Field(default=3, description="a count (nodes named n1..nN) or a list of names")
    protocol: str = Field(
        default="seed", description="what every node runs (`quorumsim protocols`)"
    )
    params: dict[str, Any] = Field(
        default_factory=dict,
        description="the protocol's parameters (see Protocol parameters below)",
    )
    processing: Duration = Field(
        default=0.0, description="CPU time a node spends per message it handles (a queue forms)"
    )
    disk_write: Duration = Field(
        default=0.0, description="latency of a durable write before a node may answer"
    )
    durability: Literal["sync", "fsync"] = Field(
        default="sync",
        description="when a persisted value survives a crash. sync: at once (the write's "
        "latency only delays the sends after it); fsync: once its disk write is done, after "
        "`disk_write`: sends after it leave only then, a crash (process) keeps the writes but "
        "loses the held sends, and `lose_unsynced` (power loss) loses the writes not done yet "
        "(see docs/hunting.md)",
    )
    unsafe: bool = Field(
        default=False,
        description="allow protocol parameters whose quorums can be disjoint (two sides of a "
        "partition may both decide): for teaching scenarios that must show the violation",
    )
    timer_jitter: Latency | None = Field(
        default=None,
        description="a delay added to every timer a node sets, drawn per timer from the node's "
        "own stream (see Latency distributions below): scheduling delays and pauses, which make "
        "timers fire late. In simulated time, not scaled by drift or a clock fault. Default: none, "
        "timers fire on time",
    )
    clock_drift: ClockDrift | None = Field(
        default=None,
        description="how fast each node's clock runs: `{low: -50ppm, high: 50ppm}` draws each "
        "node's drift once, uniformly, from its own stream; `{n1: 30ppm, n2: -20ppm}` sets it "
        "per node (the others: 0). A drift is `50ppm` or a bare fraction (`5e-05` is 50ppm), "
        "above -100000ppm and below 100000ppm. A node of drift d reads its clock (the "
        "protocol's `now`) as (1 + d) times the simulated time, and a timer it sets for D ms "
        "fires after D / (1 + d) ms of simulated time (D / (f (1 + d)) under a `clock` fault "
        "of factor f, which speeds timers only). Times a node reads are comparable on that "
        "node only. Default: none, every clock exact",
    )

    @property
    def node_names(self) -> tuple[str, ...]:
        if isinstance(self.nodes, int):
            return tuple(f"n{i}" for i in range(1, self.nodes + 1))
        return tuple(self.nodes)

    @field_validator("timer_jitter", mode="before")
    @classmethod
    def _jitter_shorthand(cls, value: Any) -> Any:
        return None if value is None else _constant_from_duration(value)

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
    latency: Latency = Field(
        default_factory=lambda: Constant(value=1.0),
        description="delay of each node-to-node message (see Latency distributions below)",
    )
    client_latency: Latency = Field(
        default_factory=lambda: Constant(value=0.0),
        description="delay of each message between a client and a node",
    )
    loss: Probability = Field(
        default=0.0, description="probability a node-to-node message is dropped"
    )
    duplicate: Probability = Field(
        default=0.0, description="probability a message is delivered twice"
    )
    ordering: Literal["unordered", "fifo"] = Field(
        default="unordered",
        description="unordered: each message its own delay; fifo: per-link order, like TCP",
    )
    links: list[Link] = Field(
        default_factory=list, description="overrides for some links, applied in order"
    )

    @field_validator("latency", "client_latency", mode="before")
    @classmethod
    def _latency_shorthand(cls, value: Any) -> Any:
        return _constant_from_duration(value)


def _writes_only() -> dict[OpKind, float]:
    return {"write": 1.0}


def _check_mix(value: dict[OpKind, float] | None) -> dict[OpKind, float] | None:
    if value is not None and (not value or sum(value.values()) <= 0):
        raise ValueError("mix needs at least one operation with a positive weight")
    return value


def _check_timeout(value: float | None) -> float | None:
    if value is not None and value <= 0:
        raise ValueError("timeout must be > 0")
    return value


_AS_WORKLOAD = "; default: the workload's"
# The keys a client group may set for itself (the rest of a group is where it is and its name).
GROUP_SETTINGS = (
    "clients",
    "mode",
    "rate",
    "think",
    "ops",
    "mix",
    "keys",
    "target",
    "timeout",
    "start",
)


class ClientGroup(Strict):
    """Clients at one node's site: their requests and replies travel that node's links (plus
    `network.client_latency`) to whichever node they target. A key a group does not set is the
    workload's."""

    name: NodeName | None = Field(
        default=None, description="names the group in requests.csv and the summary; default: near"
    )
    near: NodeName = Field(description="the node whose site the clients share")
    clients: Annotated[int, Field(ge=0, le=100_000)] | None = Field(
        default=None, description="how many clients" + _AS_WORKLOAD
    )
    mode: Literal["closed", "open"] | None = Field(
        default=None, description="closed or open" + _AS_WORKLOAD
    )
    rate: Rate | None = Field(
        default=None, description="open mode: this group's arrivals per second" + _AS_WORKLOAD
    )
    think: Duration | None = Field(
        default=None, description="closed mode: pause between operations" + _AS_WORKLOAD
    )
    ops: Annotated[int, Field(ge=0)] | None = Field(
        default=None,
        description="stop issuing after this many operations of this group" + _AS_WORKLOAD,
    )
    mix: dict[OpKind, Annotated[float, Field(ge=0.0)]] | None = Field(
        default=None, description="weights of write, read, cas, append, delete" + _AS_WORKLOAD
    )
    keys: Annotated[int, Field(ge=1, le=1_000_000)] | None = Field(
        default=None, description="how many keys" + _AS_WORKLOAD
    )
    target: str | None = Field(
        default=None, description="leader, any or a node name" + _AS_WORKLOAD
    )
    timeout: Duration | None = Field(
        default=None, description="a client gives up after this long" + _AS_WORKLOAD
    )
    start: Duration | None = Field(
        default=None, description="when the group's clients begin" + _AS_WORKLOAD
    )

    @property
    def label(self) -> str:
        return self.name or self.near

    @field_validator("mix")
    @classmethod
    def _some_weight(cls, value: dict[OpKind, float] | None) -> dict[OpKind, float] | None:
        return _check_mix(value)

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, value: float | None) -> float | None:
        return _check_timeout(value)


class Workload(Strict):
    clients: Annotated[int, Field(ge=0, le=100_000)] = Field(
        default=1, description="how many clients (0: no workload, e.g. for election experiments)"
    )
    mode: Literal["closed", "open"] = Field(
        default="closed",
        description="closed: each client waits for its reply (and `think`) before the next "
        "operation; open: Poisson arrivals at `rate`",
    )
    rate: Rate = Field(
        default=100.0, description="open mode: arrivals per second, all clients together"
    )
    think: Duration = Field(
        default=0.0,
        description="closed mode: a client's pause between a reply and its next operation",
    )
    ops: Annotated[int, Field(ge=0)] | None = Field(
        default=None,
        description="stop issuing after this many operations in all (default: no limit)",
    )
    mix: dict[OpKind, Annotated[float, Field(ge=0.0)]] = Field(
        default_factory=_writes_only,
        description="relative weights of the operations on the key-value store: write, read, "
        "cas, append (onto a list), delete",
    )
    keys: Annotated[int, Field(ge=1, le=1_000_000)] = Field(
        default=1, description="how many keys (k1..kN) operations choose from, uniformly"
    )
    target: str = Field(
        default="leader",
        description="where a client sends: leader (the node it believes leads, redirected as "
        "it learns), any (a random node), or a node name",
    )
    timeout: Duration = Field(
        default=1000.0, description="a client gives up after this long; the outcome is unknown"
    )
    start: Duration = Field(default=0.0, description="when clients begin")
    groups: list[ClientGroup] = Field(
        default_factory=list,
        description="client groups, each at a node's site (`near`); when given, the workload is "
        "these groups and its other keys are their defaults",
    )

    @field_validator("mix")
    @classmethod
    def _some_weight(cls, value: dict[OpKind, float]) -> dict[OpKind, float]:
        _check_mix(value)
        return value

    @field_validator("timeout")
    @classmethod
    def _positive_timeout(cls, value: float) -> float:
        _check_timeout(value)
        return value

    @field_validator("groups")
    @classmethod
    def _unique_groups(cls, value: list[ClientGroup]) -> list[ClientGroup]:
        labels = [g.label for g in value]
        repeated = sorted({n for i, n in enumerate(labels) if n in labels[:i]})
        if repeated:
            raise ValueError(
                f"group names must be unique (a group without `name` is named by `near`); "
                f"repeated: {', '.join(repeated)}"
            )
        return value

    def group_workloads(self) -> tuple[tuple[ClientGroup, Workload], ...]:
        """Each group with its settings filled in from the workload's (no groups: empty)."""
        resolved = []
        for group in self.groups:
            update: dict[str, Any] = {"groups": []}
            for key in GROUP_SETTINGS:
                value = getattr(group, key)
                if value is not None:
                    update[key] = value
            resolved.append((group, self.model_copy(update=update)))
        return tuple(resolved)


class Checks(Strict):
    safety: bool = Field(
        default=True, description="check that the replicas agree on what they decided"
    )
    linearizable: bool = Field(
        default=False, description="check the client history for linearizability"
    )
    expect: Literal["safe", "unsafe"] = Field(
        default="safe",
        description="the safety result the run must show, else exit 1 (unsafe: a teaching "
        "scenario that must show a violation)",
    )
    # Liveness is reported beside safety, never mixed into `expect`: a teaching scenario may be
    # unsafe and live, or safe and stalled.
    live: bool = Field(
        default=False,
        description="a stall longer than max_stall, or no completed operation, fails the run "
        "with exit 1",
    )
    max_stall: Duration = Field(
        default=1000.0,
        description="the longest time with operations pending and none completing before the "
        "run warns; default 1s",
    )

    recovery: Duration | None = Field(
        default=None,
        description="with it, `live` judges the run after its faults: from the last fault's "
        "undo, no stall may last longer than this (time to recover), while stalls during the "
        "faults are allowed; default: none, `max_stall` over the whole run",
    )
    min_completion: Annotated[float, Field(ge=0.0, le=1.0)] | None = Field(
        default=None,
        description="with it, `live` also needs at least this share of the invoked operations "
        "to complete ok, e.g. 0.5",
    )

    @field_validator("max_stall")
    @classmethod
    def _positive_stall(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("max_stall must be > 0")
        return value


class Output(Strict):
    trace: bool = Field(
        default=False, description="write trace.jsonl (every send, delivery, drop, timer, decision)"
    )


_DOTTED = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)*$")


class Sweep(Strict):
    grid: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="dotted key -> values, e.g. `cluster.nodes: [3, 5]`; each combination is a "
        "point",
    )
    zip: dict[str, list[Any]] = Field(
        default_factory=dict,
        description="dotted key -> values taken together: the i-th value of every key makes one "
        "row, run with each grid combination",
    )
    seeds: Annotated[int, Field(ge=1, le=100_000)] = Field(
        default=1, description="runs per point, their seeds derived from `seed`"
    )

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

    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9_.-]*$", max_length=100)] = Field(
        description="names the run's directory, results/<name>/"
    )
    description: str = Field(default="", description="free text for people reading the file")
    seed: Annotated[int, Field(ge=0, lt=2**63)] = Field(
        default=1, description="the whole run is a function of the file and this seed"
    )
    duration: Duration = Field(default=10_000.0, description="simulated time the run lasts")
    cluster: Cluster = Field(
        default_factory=Cluster, description="the nodes and the protocol they run"
    )
    network: Network = Field(
        default_factory=Network, description="how messages travel between nodes"
    )
    workload: Workload = Field(
        default_factory=Workload, description="the clients and the operations they issue"
    )
    faults: list[Fault] = Field(
        default_factory=list, description="faults at simulated times (see Faults below)"
    )
    checks: Checks = Field(default_factory=Checks, description="what the run checks")
    sweep: Sweep | None = Field(
        default=None, description="values to run the scenario over, for `quorumsim sweep`"
    )
    output: Output = Field(default_factory=Output, description="optional files a run writes")

    @field_validator("duration")
    @classmethod
    def _positive_duration(cls, value: float) -> float:
        if value <= 0:
            raise ValueError("duration must be > 0")
        return value
