"""What clients ask of the key-value store: operation kinds, keys and values, drawn from a mix."""

from __future__ import annotations

from typing import Any

import numpy as np

from sim.core.rng import DrawPool
from sim.scenario.model import Workload


class OperationMaker:
    """Draws (op, key, value) for each new client operation from the workload's own stream.

    Writes carry the op id as value, so every written value is unique and a read names the write
    it saw: the linearizability checker and a person reading a history both rely on it; an append
    adds the op id too. A cas expects the value last seen on its key, so that some succeed and
    some fail (after an append it expects None, until a read sees the list).

    The draws are uniforms taken from a batch (`DrawPool`; a numpy call per operation cost a
    microsecond), on a stream of their own: the kind from one when the mix has several, the key
    from the next when there are several (``int(u * keys)``, uniform over the keys). Nothing is
    drawn where there is nothing to choose: a write-only, one-key workload draws nothing.
    """

    def __init__(self, config: Workload, rng: np.random.Generator) -> None:
        kinds = sorted(k for k, w in config.mix.items() if w > 0)
        weights = np.array([config.mix[k] for k in kinds], dtype=float)
        self._kinds = kinds
        self._cumulative = (np.cumsum(weights) / weights.sum()).tolist()
        self._keys = [f"k{i}" for i in range(1, config.keys + 1)]
        self._uniform = DrawPool(rng).uniform
        self.last_seen: dict[str, Any] = {}

    def make(self, op_id: int) -> tuple[str, str, Any]:
        kind = self._kinds[-1]
        if len(self._kinds) > 1:
            u = self._uniform()
            for name, edge in zip(self._kinds, self._cumulative, strict=True):
                if u < edge:
                    kind = name
                    break
        keys = self._keys
        key = keys[int(self._uniform() * len(keys))] if len(keys) > 1 else keys[0]
        if kind == "write":
            return kind, key, op_id
        if kind == "read" or kind == "delete":
            return kind, key, None
        if kind == "append":
            return kind, key, op_id
        return kind, key, [self.last_seen.get(key), op_id]

    def observed(self, op: str, key: str, value: Any, result_value: Any) -> None:
        """Remember what an ok operation left in its key (for later cas expectations)."""
        if op == "write":
            self.last_seen[key] = value
        elif op == "read":
            self.last_seen[key] = result_value
        elif op == "cas":
            self.last_seen[key] = value[1]
        elif op == "delete":
            self.last_seen[key] = None
        elif op == "append":  # what the list holds now is not known here
            self.last_seen.pop(key, None)
