"""Raft's log against its durable copy: what a restart reads back is what was last persisted."""

from __future__ import annotations

import random

import pytest

from sim.protocols.base import Op
from sim.protocols.raft.log import RaftLog
from sim.protocols.raft.messages import Entry


def _entries(log: RaftLog) -> list[Entry]:
    return [log.entry(i) for i in range(1, log.last_index + 1)]


@pytest.mark.parametrize("seed", range(20))
def test_restore_reads_back_the_last_persisted_log(seed: int) -> None:
    """Random appends and merges (conflicts truncate the tail), each persisted from the first
    index it wrote, as Raft does; a crash between a change and its persist loses the change."""
    rng = random.Random(seed)
    durable: dict[str, object] = {}
    log = RaftLog()
    persisted: list[Entry] = []  # what a restart must find: the log as of the last persist
    for serial in range(1, 61):
        if rng.random() < 0.4:
            index = log.append(Entry(rng.randint(1, 4), Op(serial, "write", "k", serial)))
            first: int | None = index
        else:
            prev = rng.randint(0, log.last_index)
            batch = [
                Entry(rng.randint(1, 4), Op(serial * 10 + k, "write", "k", k))
                for k in range(rng.randint(1, 4))
            ]
            first = log.merge(prev, batch)
        assert RaftLog.restore(durable).last_index == len(persisted)  # not persisted yet
        assert _entries(RaftLog.restore(durable)) == persisted
        if first is not None:
            log.persist_from(durable.__setitem__, first)
            persisted = _entries(log)
        assert _entries(RaftLog.restore(durable)) == persisted == _entries(log)
