"""cut: the messages from some nodes to others are dropped (one way)."""

from __future__ import annotations

from pydantic import Field

from sim.faults.api import (
    Cluster,
    Path,
    Strict,
    Target,
    Targets,
    Undo,
    Undoable,
    names,
    register_fault,
)
from sim.faults.links import Links


class CutLinks(Strict):
    src: Target = Field(alias="from", description="the nodes whose messages are dropped")
    dst: Target = Field(alias="to", description="the nodes those messages were going to")


@register_fault
class CutFault(Undoable):
    """``{at: 1s, cut: {from: n1, to: n2}}``: messages from n1 to n2 are dropped (one way)."""

    kind = "cut"
    order = 50
    cut: CutLinks = Field(description="drop the messages from `from` to `to` (one way)")

    def targets(self) -> list[tuple[Path, list[str]]]:
        return [(("cut", "from"), self.cut.src), (("cut", "to"), self.cut.dst)]

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        sources = targets(self.cut.src)
        destinations = targets(self.cut.dst)
        pairs = [(s, d) for s in sources for d in destinations if s != d]
        text = f"{names(sources)} -> {names(destinations)}"
        return cluster.shared(Links).cut(cluster, pairs, "cut", text, "uncut")
