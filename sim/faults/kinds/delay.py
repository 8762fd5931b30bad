"""delay: extra latency on some links, or every link, for a while."""

from __future__ import annotations

from typing import Annotated, Any

import numpy as np
from pydantic import BaseModel, BeforeValidator, Field

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
from sim.faults.settings import override
from sim.units import Duration


def _extra_only(value: Any) -> Any:
    return value if isinstance(value, dict | BaseModel) else {"extra": value}


def _or_duration(schema: dict[str, Any]) -> None:
    # Editors should accept the `delay: 20ms` shorthand as well as the mapping.
    schema["anyOf"] = [{"$ref": schema.pop("$ref")}, {"type": ["number", "string"]}]


class DelayLinks(Strict):
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


@register_fault
class DelayFault(Undoable):
    """``{at: 2s, delay: {extra: 20ms, to: n3}, for: 1s}``: messages to n3 take 20 ms longer;
    ``delay: 20ms`` delays every link; ``{extra: 20ms, from: n1, to: n2, symmetric: true}``
    delays n1 <-> n2."""

    kind = "delay"
    order = 100
    drawable = True
    delay: Annotated[
        DelayLinks,
        BeforeValidator(_extra_only),
        Field(json_schema_extra=_or_duration),
    ] = Field(description="extra latency: a duration for every link, or a mapping for some")

    def targets(self) -> list[tuple[Path, list[str]]]:
        sides = (("from", self.delay.src), ("to", self.delay.dst))
        return [(("delay", key), nodes) for key, nodes in sides if nodes is not None]

    @classmethod
    def nemesis_body(cls, rng: np.random.Generator, target: list[str] | None) -> Any:
        return {"extra": 100.0, "to": "random", "symmetric": True}

    def apply(self, cluster: Cluster, targets: Targets) -> Undo:
        spec = self.delay
        every = list(cluster.nodes)
        sources = targets(spec.src) if spec.src is not None else every
        destinations = targets(spec.dst) if spec.dst is not None else every
        pairs = [(s, d) for s in sources for d in destinations if s != d]
        if spec.symmetric:
            pairs = list(dict.fromkeys(pairs + [(d, s) for s, d in pairs]))

        def set_delay(pair: Any, extra: float | None) -> None:
            cluster.network.set_delay([pair], extra or 0.0)

        arrow = "<->" if spec.symmetric else "->"
        src_text = names(sources) if spec.src is not None else "all"
        dst_text = names(destinations) if spec.dst is not None else "all"
        text = f"{src_text} {arrow} {dst_text} +{spec.extra:g}ms"
        return override(cluster, "delay", pairs, spec.extra, set_delay, text)
