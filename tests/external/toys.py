"""Small SimPy-process protocols, each exercising one thing the adapter promises. Tests name
them by module path (``tests.external.toys:Ticker``), as a user's scenario would."""

from __future__ import annotations

from typing import Any, Literal

from sim.process import Node, Process, ProcessProtocol
from sim.protocols.base import OK, ProtocolParams, Request

EVENTS: list[tuple[float, str, str, Any]] = []
"""What the toys did: (time, node, what, detail). Tests clear it before a run."""


class TickerParams(ProtocolParams):
    every: float = 10.0
    clock: Literal["node", "env"] = "node"  # node.timeout, or SimPy's own env.timeout


class Ticker(ProcessProtocol):
    """The first node ticks every ``every`` ms; each node counts its lives in durable state."""

    Params = TickerParams
    params: TickerParams

    def run(self, node: Node) -> Process:
        life = node.durable.get("lives", 0) + 1
        node.persist("lives", life)
        if node.id != node.nodes[0]:
            return
        while True:
            if self.params.clock == "node":
                yield node.timeout(self.params.every)
            else:
                yield node.env.timeout(self.params.every)
            EVENTS.append((node.now, node.id, "tick", life))


class WaiterParams(ProtocolParams):
    patience: float = 50.0


class Waiter(ProcessProtocol):
    """Waits for a request or ``patience`` ms, whichever comes first (a SimPy condition), and
    answers every request ``ok``."""

    Params = WaiterParams
    params: WaiterParams

    def run(self, node: Node) -> Process:
        while True:
            get = node.inbox.get()
            fired = yield get | node.timeout(self.params.patience)
            if get not in fired:
                get.cancel()  # (else it would take the next request unseen)
                EVENTS.append((node.now, node.id, "timeout", None))
                continue
            request = fired[get]
            assert isinstance(request, Request)
            EVENTS.append((node.now, node.id, "request", request.op_id))
            node.reply(request, OK)


class Spawner(ProcessProtocol):
    """The first node starts a helper process that waits 5 ms and returns 42, and waits for it."""

    Params = ProtocolParams

    def run(self, node: Node) -> Process:
        if node.id == node.nodes[0]:
            value = yield node.spawn(self.helper(node))
            EVENTS.append((node.now, node.id, "joined", value))

    def helper(self, node: Node) -> Process:
        yield node.timeout(5)
        return 42


class BadYield(ProcessProtocol):
    """Yields a number, which is no event."""

    Params = ProtocolParams

    def run(self, node: Node) -> Process:
        yield 5  # type: ignore[misc]


class NoYield(ProcessProtocol):
    """A run without a yield: a plain function, not a process."""

    Params = ProtocolParams

    def run(self, node: Node) -> Process:  # type: ignore[return]
        node.emit("started")
