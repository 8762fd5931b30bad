"""Settings that faults change for a while (loss, duplicate, delay, clock, ...), layered: the
newest fault still in force wins, and an undo restores whatever else is still in force."""

from __future__ import annotations

from collections.abc import Callable, Hashable
from typing import Any

from sim.faults.api import Cluster, Undo


def override(
    cluster: Cluster,
    kind: str,
    keys: list[Any],
    value: float,
    apply: Callable[[Any, float | None], None],
    text: str,
) -> Undo:
    """Set ``value`` on each key with ``apply(key, value)`` and record ``kind``; the undo calls
    ``apply(key, value still in force)`` (None: no fault's, the scenario's own setting) and
    records ``kind-end``."""
    layers = cluster.shared(Layers)
    tokens = [layers.push((kind, key), value) for key in keys]
    for key in keys:
        apply(key, value)
    cluster.record(kind, text)

    def undo() -> None:
        for key, token in zip(keys, tokens, strict=True):
            apply(key, layers.lift((kind, key), token))
        cluster.record(f"{kind}-end", text)

    return undo


class Layers:
    """Per key, the values of the faults in force, oldest first: the newest one wins."""

    def __init__(self) -> None:
        self._stacks: dict[Hashable, list[tuple[object, float]]] = {}

    def push(self, key: Hashable, value: float) -> object:
        token = object()
        self._stacks.setdefault(key, []).append((token, value))
        return token

    def lift(self, key: Hashable, token: object) -> float | None:
        """Remove one fault's value; return the value now in force, None if no fault's."""
        stack = [entry for entry in self._stacks.get(key, []) if entry[0] is not token]
        if stack:
            self._stacks[key] = stack
            return stack[-1][1]
        self._stacks.pop(key, None)
        return None
