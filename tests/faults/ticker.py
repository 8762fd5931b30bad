"""A test protocol that makes faults visible, and a helper that runs it under faults."""

from __future__ import annotations

from typing import Any, ClassVar

from sim.engine import Simulation
from sim.protocols import Protocol, ProtocolParams, register
from sim.units import Duration
from tests.conftest import make_scenario


class TickerParams(ProtocolParams):
    period: Duration = 10.0


@register
class Ticker(Protocol):
    """Every `period` each node counts a tick, in memory and durably, and tells its peers; it
    logs every message and timer it handles."""

    name = "test-ticker"
    Params = TickerParams
    params: TickerParams
    handled: ClassVar[list[tuple[float, str, str]]] = []  # time, node, "tick" or the sender

    def __init__(self, params: TickerParams, node_id: str, nodes: tuple[str, ...]) -> None:
        super().__init__(params, node_id, nodes)
        self.ticks = 0
        self.heard = 0

    def on_start(self, ctx: Any) -> None:
        ctx.set_timer("tick", self.params.period)

    def on_timer(self, ctx: Any, name: str) -> None:
        Ticker.handled.append((ctx.now, ctx.node_id, "tick"))
        self.ticks += 1
        ctx.persist("ticks", ctx.durable.get("ticks", 0) + 1)
        ctx.broadcast(self.ticks)
        ctx.set_timer("tick", self.params.period)

    def on_message(self, ctx: Any, src: str, msg: Any) -> None:
        Ticker.handled.append((ctx.now, ctx.node_id, src))
        self.heard += 1


def tick(faults: list[dict[str, Any]], nodes: int = 4, duration: str = "1s") -> Simulation:
    """Run the ticker on ``nodes`` nodes with 1 ms links, no clients, tracing on."""
    Ticker.handled = []
    scenario = make_scenario(
        duration=duration,
        cluster={"nodes": nodes, "protocol": "test-ticker"},
        network={"latency": "1ms"},
        workload={"clients": 0},
        faults=faults,
    )
    return Simulation(scenario, trace=True).run()


def rows(simulation: Simulation, kind: str) -> list[tuple[float, dict[str, Any]]]:
    """The trace rows of one kind, as (time, fields)."""
    return [(t, fields) for t, k, fields in simulation.recorder.trace_rows if k == kind]


def handled(node: str, start: float = 0.0, end: float = float("inf")) -> list[tuple[float, str]]:
    """What ``node`` handled in [start, end): (time, "tick" or the sender)."""
    return [(t, what) for t, n, what in Ticker.handled if n == node and start <= t < end]
