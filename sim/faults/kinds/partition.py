"""partition: the cluster split into groups that cannot reach each other."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BeforeValidator, Field

from sim.faults.api import (
    ROLES,
    Cluster,
    Path,
    Target,
    Targets,
    Undo,
    Undoable,
    names,
    one_or_many,
    register_fault,
)
from sim.faults.links import Links


@register_fault
class PartitionFault(Undoable):
    """``{at: 8s, partition: [[n1, n2], [n3, n4, n5]], for: 2s}``: each item is a group (a
    target); nodes in no group form one more group. Links between groups are cut both ways.
    ``partition: leader`` cuts the leader from the rest; a new partition replaces the old."""

    kind = "partition"
    order = 40
    drawable = True
    partition: Annotated[list[Target], Field(min_length=1), BeforeValidator(one_or_many)] = Field(
        description="groups (each a target) cut from each other both ways; nodes in no "
        "group form one more; a new partition replaces the old"
    )

    def targets(self) -> list[tuple[Path, list[str]]]:
        return [(("partition", j), group) for j, group in enumerate(self.partition)]

    def problems(self) -> list[tuple[Path, str]]:
        first_group: dict[str, int] = {}
        problems: list[tuple[Path, str]] = []
        for j, group in enumerate(self.partition):
            for name in group:
                if name in ROLES:
                    continue  # resolved at fire time; a node already placed stays in its group
                seen = first_group.setdefault(name, j)
                if seen != j:
                    message = f"{name} is already in group {seen + 1}; groups must not overlap"
                    problems.append((("partition", j), message))
        return problems

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return ["minority"]  # cut from the rest; the nemesis's target is not a group

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        links = cluster.shared(Links)
        groups: list[list[str]] = []
        placed: set[str] = set()
        for target in self.partition:
            # A role may name nodes an earlier group holds: they stay where first placed.
            group = [n for n in targets(target) if n not in placed]
            placed.update(group)
            if group:
                groups.append(group)
        rest = [n for n in cluster.nodes if n not in placed]
        cluster.network.partition(groups)
        token = object()
        links.partition = token
        text = " | ".join(names(group) for group in [*groups, rest] if group)
        cluster.record("partition", text)

        def undo() -> None:
            if links.partition is token:
                links.partition = None
                links.lift_partition(cluster)
                cluster.record("heal", text)

        return undo
