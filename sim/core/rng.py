"""Random streams: one root seed, one independent child stream per name.

Named streams give common random numbers across compared runs: adding a fault or a client does not
shift the latency draws of an unrelated link, because every link draws from its own stream.
"""

from __future__ import annotations

import hashlib

import numpy as np


def _name_key(name: str) -> tuple[int, ...]:
    digest = hashlib.sha256(name.encode()).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


class RandomStreams:
    """``streams.generator("node:n1")`` is the same generator for the same root seed and name."""

    def __init__(self, seed: int) -> None:
        self.seed = seed

    def generator(self, name: str) -> np.random.Generator:
        sequence = np.random.SeedSequence(entropy=self.seed, spawn_key=_name_key(name))
        return np.random.Generator(np.random.PCG64(sequence))

    def pool(self, name: str) -> DrawPool:
        return DrawPool(self.generator(name))


class DrawPool:
    """Uniform variates in [0, 1) drawn from numpy in batches (loss and duplication draws).

    Drawing one float at a time from numpy costs about a microsecond of call overhead; the
    simulator draws per message, so it takes them from a batch instead. Batches grow from small
    (thousands of links each own a pool) to large (a busy link draws millions).
    """

    __slots__ = ("_gen", "_size", "_uniform")
    MAX_BATCH = 8192

    def __init__(self, generator: np.random.Generator) -> None:
        self._gen = generator
        self._uniform: list[float] = []
        self._size = 16

    def uniform(self) -> float:
        if not self._uniform:
            self._uniform = self.refill(self._gen, self._size)
            self._size = min(self._size * 4, self.MAX_BATCH)
        return self._uniform.pop()

    @staticmethod
    def refill(generator: np.random.Generator, size: int) -> list[float]:
        """The next ``size`` draws, reversed so that pop() hands them out in numpy's order."""
        batch: list[float] = generator.random(size)[::-1].tolist()
        return batch
