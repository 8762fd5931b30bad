"""Raft's log against its durable copy: what a restart reads back is what was last persisted."""

from __future__ import annotations

import random

import pytest

from sim.protocols.api import Op
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


@pytest.mark.parametrize("seed", range(20))
def test_receive_is_the_check_then_merge_then_persist(seed: int) -> None:
    """`receive` (one call per AppendEntries, with a fast path for a follower keeping up) does
    what Figure 2's steps do one at a time: the consistency check, the merge, and the persist of
    what changed. Two logs, one driven each way, must agree after every message."""
    rng = random.Random(seed)
    stepwise, at_once = RaftLog(), RaftLog()
    durable_stepwise: dict[str, object] = {}
    durable_at_once: dict[str, object] = {}
    fast_paths = mismatches = 0
    for serial in range(1, 121):
        # Mostly the follower's common case (prev_index at its log's end), and some stale,
        # conflicting or too-far messages.
        prev = (
            stepwise.last_index if rng.random() < 0.5 else rng.randint(0, stepwise.last_index + 2)
        )
        prev_term = stepwise.term_at(prev) if prev <= stepwise.last_index else 1
        if rng.random() < 0.15:
            prev_term += 1  # a term the log does not hold there
        batch = tuple(
            Entry(rng.randint(1, 4), Op(serial * 10 + k, "write", "k", k))
            for k in range(rng.randint(0, 3))
        )
        if stepwise.matches(prev, prev_term):
            expected = prev + len(batch)
            fast_paths += prev == stepwise.last_index and bool(batch)
            first = stepwise.merge(prev, batch)
            if first is not None:
                stepwise.persist_from(durable_stepwise.__setitem__, first)
        else:
            expected = -1
            mismatches += 1
        assert at_once.receive(prev, prev_term, batch, durable_at_once.__setitem__) == expected
        assert _entries(at_once) == _entries(stepwise)
        assert _entries(RaftLog.restore(durable_at_once)) == _entries(
            RaftLog.restore(durable_stepwise)
        )
    assert fast_paths > 10 and mismatches > 10  # both paths and the refusal were exercised
