"""A timer cancelled while its firing waits (through a pause) never fires."""

from __future__ import annotations

from typing import Any, ClassVar

from sim.engine import Simulation
from sim.protocols import Protocol, ProtocolParams, register
from tests.conftest import make_scenario


@register
class Canceller(Protocol):
    """n1 sets an alarm for 10 ms; n2 at once tells it to cancel the alarm."""

    name = "test-canceller"
    Params = ProtocolParams
    alarms: ClassVar[list[float]] = []

    def on_start(self, ctx: Any) -> None:
        if ctx.node_id == "n1":
            ctx.set_timer("alarm", 10.0)
        else:
            ctx.send("n1", "cancel")

    def on_message(self, ctx: Any, src: str, msg: Any) -> None:
        ctx.cancel_timer("alarm")

    def on_timer(self, ctx: Any, name: str) -> None:
        Canceller.alarms.append(ctx.now)


def _alarms(faults: list[dict[str, Any]]) -> list[float]:
    Canceller.alarms = []
    scenario = make_scenario(
        duration="100ms",
        cluster={"nodes": 2, "protocol": "test-canceller"},
        network={"latency": "1ms"},
        workload={"clients": 0},
        faults=faults,
    )
    Simulation(scenario).run()
    return Canceller.alarms


def test_a_cancelled_timer_does_not_fire() -> None:
    """The cancel arrives at 1 ms, before the alarm is due: no alarm."""
    assert _alarms([]) == []


def test_a_timer_cancelled_on_resume_does_not_fire() -> None:
    """Paused from 0.5 to 20.5 ms, n1 handles the cancel (arrived at 1 ms) on resume; the alarm
    that fell due at 10 ms meanwhile is dropped, not run after the cancel."""
    assert _alarms([{"at": 0.5, "pause": "n1", "for": 20}]) == []
