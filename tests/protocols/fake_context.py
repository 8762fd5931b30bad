"""A hand-driven Context for unit tests of protocols: no simpy, every effect recorded."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from sim.protocols.api import Op, Request, Result


@dataclass
class FakeContext:
    node_id: str
    nodes: tuple[str, ...]
    time: float = 0.0
    durable: dict[str, Any] = field(default_factory=dict)
    rng: np.random.Generator = field(default_factory=lambda: np.random.default_rng(0))
    sent: list[tuple[str, Any]] = field(default_factory=list)
    timers: dict[str, float] = field(default_factory=dict)  # name -> absolute fire time
    replies: list[tuple[Request, Result]] = field(default_factory=list)
    decided: list[tuple[int, Op]] = field(default_factory=list)
    persisted: list[tuple[str, Any]] = field(default_factory=list)
    events: list[tuple[str, dict[str, Any]]] = field(default_factory=list)

    @property
    def peers(self) -> tuple[str, ...]:
        return tuple(n for n in self.nodes if n != self.node_id)

    @property
    def now(self) -> float:
        return self.time

    def send(self, dst: str, msg: Any) -> None:
        self.sent.append((dst, msg))

    def broadcast(self, msg: Any) -> None:
        for peer in self.peers:
            self.send(peer, msg)

    def set_timer(self, name: str, delay: float) -> None:
        self.timers[name] = self.time + delay

    def cancel_timer(self, name: str) -> None:
        self.timers.pop(name, None)

    def uniform(self, low: float, high: float) -> float:
        return float(self.rng.uniform(low, high))

    def reply(self, request: Request, result: Result) -> None:
        self.replies.append((request, result))

    def decide(self, index: int, op: Op) -> None:
        self.decided.append((index, op))

    def persist(self, key: str, value: Any) -> None:
        self.durable[key] = value
        self.persisted.append((key, value))

    def emit(self, event: str, **fields: Any) -> None:
        self.events.append((event, fields))

    def take_sent(self) -> list[tuple[str, Any]]:
        """The messages sent since the last call (and forget them)."""
        sent, self.sent = self.sent, []
        return sent


@dataclass
class JournalContext(FakeContext):
    """A FakeContext that also keeps persists and sends in one ordered journal (to assert that
    a write comes before the answer that depends on it)."""

    journal: list[tuple[str, Any]] = field(default_factory=list)

    def send(self, dst: str, msg: Any) -> None:
        self.journal.append(("send", msg))
        super().send(dst, msg)

    def persist(self, key: str, value: Any) -> None:
        self.journal.append(("persist", key))
        super().persist(key, value)


def write(i: int, key: str = "x") -> Op:
    """Write number ``i``: op id ``i``, value ``i``."""
    return Op(op_id=i, op="write", key=key, value=i)
