"""Checks that span keys, sections or entries (node names, faults against the run, clients that
can never start), run on every part of a file that is valid on its own.

A file with a bad `workload.clients` still has its fault names checked, and a bad fault entry does
not hide the next one: each section is validated without its invalid keys, each fault and link
entry alone, and a check runs when the parts it reads are valid.
"""

from __future__ import annotations

import dataclasses
import difflib
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, TypeAdapter, ValidationError
from pydantic_core import ErrorDetails

from sim.scenario.faults import Fault, check_fault_names
from sim.scenario.model import ClientGroup, Cluster, Link, Scenario, Workload

Path = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)

_FAULT: TypeAdapter[Any] = TypeAdapter(Fault)


@dataclass(frozen=True, slots=True)
class Section(Generic[M]):
    """A section validated without its invalid keys, which hold their defaults in ``value``."""

    value: M
    invalid: frozenset[str] = frozenset()

    def valid(self, *keys: str) -> bool:
        return self.invalid.isdisjoint(keys)


def validate_keys(model: type[M], raw: Any) -> tuple[M | None, frozenset[str], list[ErrorDetails]]:
    """Validate ``raw`` as ``model``, dropping the keys that are wrong and trying again, so that
    checks that run only once every key is valid (model validators) still run on the rest.

    Returns (instance or None, the keys dropped, every error found on the way).
    """
    if not isinstance(raw, dict):
        try:
            return model.model_validate(raw), frozenset(), []
        except ValidationError as err:
            return None, frozenset(model.model_fields), err.errors(include_url=False)
    current, dropped, errors = dict(raw), set[str](), list[ErrorDetails]()
    while True:
        try:
            return model.model_validate(current), frozenset(dropped), errors
        except ValidationError as err:
            found = err.errors(include_url=False)
            errors += found
            bad = {e["loc"][0] for e in found if e["loc"] and e["loc"][0] in current}
            if not bad:  # an error of the whole mapping, or a required key dropped
                return None, frozenset(dropped), errors
            dropped |= {str(key) for key in bad}
            current = {k: v for k, v in current.items() if k not in bad}


def _section(model: type[M], data: dict[str, Any], key: str) -> Section[M]:
    value, dropped, _ = validate_keys(model, data.get(key, {}))
    if value is None:
        return Section(model(), frozenset(model.model_fields))
    return Section(value, dropped)


@dataclass(frozen=True, slots=True)
class Parts:
    """What of a scenario is valid on its own: the cross checks read only these."""

    cluster: Section[Cluster]
    workload: Section[Workload]
    duration: float | None
    links: list[tuple[int, Link]]
    faults: list[tuple[int, Any]]
    groups: list[tuple[int, ClientGroup]] = dataclasses.field(default_factory=list)

    @classmethod
    def of(cls, scenario: Scenario) -> Parts:
        return cls(
            Section(scenario.cluster),
            Section(scenario.workload),
            scenario.duration,
            list(enumerate(scenario.network.links)),
            list(enumerate(scenario.faults)),
            list(enumerate(scenario.workload.groups)),
        )

    @classmethod
    def salvage(cls, data: dict[str, Any]) -> Parts:
        """The valid parts of data that does not validate as a whole."""
        network = data.get("network")
        links = network.get("links") if isinstance(network, dict) else None
        workload = data.get("workload")
        groups = workload.get("groups") if isinstance(workload, dict) else None
        return cls(
            _section(Cluster, data, "cluster"),
            _section(Workload, data, "workload"),
            _duration(data),
            _valid_entries(links, Link.model_validate),
            _valid_entries(data.get("faults"), _FAULT.validate_python),
            _valid_entries(groups, ClientGroup.model_validate),
        )

    @property
    def nodes(self) -> tuple[str, ...] | None:
        return self.cluster.value.node_names if self.cluster.valid("nodes") else None


def _duration(data: dict[str, Any]) -> float | None:
    if "duration" not in data:
        return float(Scenario.model_fields["duration"].default)
    # `name` is the one key Scenario requires; any valid name serves to check the duration alone.
    value, _, _ = validate_keys(Scenario, {"name": "x", "duration": data["duration"]})
    return value.duration if value is not None else None


def _valid_entries(raw: Any, validate: Any) -> list[tuple[int, Any]]:
    entries = []
    for i, entry in enumerate(raw if isinstance(raw, list) else []):
        try:
            entries.append((i, validate(entry)))
        except ValidationError:
            continue  # its own problems are reported by the validation of the whole file
    return entries


def cross_checks(parts: Parts) -> list[tuple[Path, str]]:
    """Every problem no single key shows, as (data path, message) pairs."""
    nodes = parts.nodes
    problems = _check_names(parts, nodes) if nodes is not None else []
    problems += check_fault_names(parts.faults, nodes, parts.duration)
    return problems + _check_progress(parts) + _check_durability(parts)


def _check_names(parts: Parts, nodes: tuple[str, ...]) -> list[tuple[Path, str]]:
    """Every node name a link, a per-node clock drift or the workload mentions must be a node of
    the cluster."""
    known = set(nodes)
    problems = []
    for i, link in parts.links:
        for side, names in (("from", link.src), ("to", link.dst)):
            for j, node in enumerate(names):
                if node not in known:
                    path: Path = (
                        ("network", "links", i, side, j)
                        if len(names) > 1
                        else ("network", "links", i, side)
                    )
                    problems.append((path, unknown_node(node, known)))
    drift = parts.cluster.value.clock_drift
    if parts.cluster.valid("clock_drift") and isinstance(drift, dict):
        for node in drift:
            if node not in known:
                problems.append((("cluster", "clock_drift", node), unknown_node(node, known)))
    target = parts.workload.value.target
    if parts.workload.valid("target") and target not in ("leader", "any") and target not in known:
        problems.append(
            (("workload", "target"), unknown_node(target, known, extra=("leader", "any")))
        )
    for i, group in parts.groups:
        if group.near not in known:
            problems.append((("workload", "groups", i, "near"), unknown_node(group.near, known)))
        if group.target is not None and group.target not in ("leader", "any", *known):
            problems.append(
                (
                    ("workload", "groups", i, "target"),
                    unknown_node(group.target, known, extra=("leader", "any")),
                )
            )
    return problems


def _check_progress(parts: Parts) -> list[tuple[Path, str]]:
    """Clients that can never issue an operation. No workload at all is fine (clients: 0, an
    election experiment); a protocol's own impossible settings are its `check_cluster`'s."""
    workload, duration = parts.workload, parts.duration
    if duration is None or not workload.valid("clients", "start"):
        return []
    # With groups, each group's own `clients` and `start` (default: the workload's) count.
    starts: list[tuple[Path, float, int]] = [
        (("workload", "start"), workload.value.start, workload.value.clients)
    ]
    if parts.groups or (workload.value.groups and workload.valid("groups")):
        starts = [
            (
                ("workload", "groups", i, "start")
                if group.start is not None
                else ("workload", "start"),
                workload.value.start if group.start is None else group.start,
                workload.value.clients if group.clients is None else group.clients,
            )
            for i, group in parts.groups
        ]
    late = {path: start for path, start, clients in starts if clients > 0 and start >= duration}
    return [
        (
            path,
            f"{start:g} ms is not before the end of the run ({duration:g} ms), so no client "
            "would ever issue an operation",
        )
        for path, start in late.items()
    ]


def _check_durability(parts: Parts) -> list[tuple[Path, str]]:
    """Faults that lose unsynced writes need writes that can be unsynced: `fsync` and a disk
    write that takes time (under `sync`, or with an instant disk, every write is durable at
    once and the fault would be a plain crash)."""
    cluster = parts.cluster
    if not cluster.valid("durability", "disk_write"):
        return []
    if cluster.value.durability == "fsync" and cluster.value.disk_write > 0:
        return []
    need = "needs cluster.durability: fsync and cluster.disk_write > 0 (else no write is ever "
    need += "unsynced)"
    problems: list[tuple[Path, str]] = []
    for i, fault in parts.faults:
        if fault.kind == "lose_unsynced":
            problems.append((("faults", i, "lose_unsynced"), f"lose_unsynced {need}"))
        elif fault.kind == "nemesis":
            spec = fault.nemesis
            if "lose_unsynced" in spec.kinds:
                problems.append((("faults", i, "nemesis", "kinds"), f"lose_unsynced {need}"))
            if "persisted" in getattr(spec, "aim", ()):
                problems.append((("faults", i, "nemesis", "aim"), f"aim `persisted` {need}"))
    return problems


def unknown_node(name: str, nodes: set[str], extra: tuple[str, ...] = ()) -> str:
    allowed = [*extra, *sorted(nodes, key=_natural)]
    near = difflib.get_close_matches(name, allowed, n=1)
    hint = f"; did you mean `{near[0]}`?" if near else ""
    shown = ", ".join(allowed[:12]) + (", ..." if len(allowed) > 12 else "")
    return f"unknown node {name!r} (allowed: {shown}){hint}"


def _natural(name: str) -> tuple[str, int]:
    stem = name.rstrip("0123456789")
    digits = name[len(stem) :]
    return stem, int(digits) if digits else -1
