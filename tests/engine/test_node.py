"""NodeHost: the CPU queue, durable writes, timers, crash and restart."""

from __future__ import annotations

from typing import Any, ClassVar

from sim.engine import Simulation
from sim.protocols import Protocol, ProtocolParams, register
from tests.conftest import make_scenario


class EchoParams(ProtocolParams):
    persist_first: bool = False


@register
class Echo(Protocol):
    """Test protocol: n1 sends a burst at start; others answer each message (maybe persisting)."""

    name = "test-echo"
    Params = EchoParams
    handled: ClassVar[list[tuple[str, float, Any]]] = []

    def on_start(self, ctx: Any) -> None:
        if ctx.node_id == "n1":
            for i in range(5):
                ctx.send("n2", i)
        ctx.set_timer("tick", 10.0)

    def on_message(self, ctx: Any, src: str, msg: Any) -> None:
        Echo.handled.append((ctx.node_id, ctx.now, msg))
        if ctx.node_id == "n2":
            if self.params.persist_first:
                ctx.persist(f"seen-{msg}", True)
            ctx.send("n1", ("ack", msg))

    def on_timer(self, ctx: Any, name: str) -> None:
        Echo.handled.append((ctx.node_id, ctx.now, name))
        ctx.set_timer("tick", 10.0)


def _run(**cluster: Any) -> list[tuple[str, float, Any]]:
    Echo.handled = []
    scenario = make_scenario(
        duration="25ms",
        cluster={"nodes": 2, "protocol": "test-echo", **cluster},
        network={"latency": "1ms"},
        workload={"clients": 0},
    )
    Simulation(scenario).run()
    return Echo.handled


def test_processing_forms_a_fifo_queue() -> None:
    """Five messages arriving together at a node with 2 ms CPU each finish at 3, 5, 7, 9, 11."""
    handled = _run(processing="2ms")
    at_n2 = [(t, m) for node, t, m in handled if node == "n2" and isinstance(m, int)]
    assert at_n2 == [(3.0, 0), (5.0, 1), (7.0, 2), (9.0, 3), (11.0, 4)]


def test_no_processing_handles_on_arrival() -> None:
    """Without CPU cost every message is handled the moment it arrives."""
    handled = _run()
    assert [t for node, t, m in handled if node == "n2" and isinstance(m, int)] == [1.0] * 5


def test_durable_write_delays_the_answer() -> None:
    """With a 4 ms disk, answers sent after persist leave when the write is done; writes queue
    one after another on the disk."""
    handled = _run(disk_write="4ms", params={"persist_first": True})
    acks = [t for node, t, m in handled if node == "n1" and isinstance(m, tuple)]
    # Arrive at n2 at 1 ms; writes finish at 5, 9, 13, 17, 21; answers arrive 1 ms later.
    assert acks == [6.0, 10.0, 14.0, 18.0, 22.0]


def test_disk_write_costs_nothing_without_persist() -> None:
    """A disk latency alone does not delay messages that follow no durable write."""
    handled = _run(disk_write="4ms")
    acks = [t for node, t, m in handled if node == "n1" and isinstance(m, tuple)]
    assert acks == [2.0] * 5


def test_timers_repeat_and_crash_cancels_them() -> None:
    """A timer re-armed on each firing fires every 10 ms; after a crash it never fires again,
    and a restart starts the protocol afresh while durable state survives."""
    Echo.handled = []
    scenario = make_scenario(
        duration="45ms",
        cluster={"nodes": 2, "protocol": "test-echo", "params": {"persist_first": True}},
        network={"latency": "1ms"},
        workload={"clients": 0},
    )
    simulation = Simulation(scenario)
    env, host = simulation.env, simulation.hosts["n2"]
    env.process(_crash_then_restart(env, host))
    simulation.run()
    ticks = [t for node, t, m in Echo.handled if node == "n2" and m == "tick"]
    assert ticks == [10.0, 20.0, 35.0]  # crashed at 22 ms, restarted at 25 ms: next at 35
    assert host.durable == {f"seen-{i}": True for i in range(5)}


def _crash_then_restart(env: Any, host: Any) -> Any:
    yield env.timeout(22)
    host.crash()
    assert host.protocol is not None
    yield env.timeout(3)
    host.restart()
